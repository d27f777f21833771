import FunnelCore
import FunnelReaders
import FunnelTransform
import FunnelWriters
#if canImport(Glibc)
import Glibc
#endif

/// Runs one pipeline: reads every input, keeps, filters or rejects each line, rebuilds the
/// sessions and hands them to the sink, then reports (SPEC 9).
///
/// Bad input never stops a run: a bad line becomes a reject record, a damaged file keeps the
/// lines before the damage. Only problems of the pipeline itself (exit 1) stop it before any
/// output; sink failures (exit 3) stop it after retries.
public struct Runner {
    /// Records a run holds before it flushes the visitors the stream has passed: the knob
    /// between memory and how often a visitor active across a flush is rebuilt.
    public static let defaultChunkRecords = 20_000
    public let pipeline: Pipeline
    public let options: RunOptions
    /// Where the summary and progress go; stderr by default.
    private let report: (String) -> Void

    public init(pipeline: Pipeline, options: RunOptions, report: @escaping (String) -> Void = Runner.writeToStandardError) {
        self.pipeline = pipeline
        self.options = options
        self.report = report
    }

    /// Runs and returns the summary, whose `exitStatus` the command exits with. Throws only
    /// for pipeline errors (exit 1). The metrics file (`--metrics-file`) is written for every
    /// summary returned, an early exit 3 included (until 2026-12-05 such a run left the
    /// previous run's `funnel_exit_status` in place); for a pipeline error, which may come
    /// before a pipeline is loaded, the `run` command writes it (`RunSummary.failed`).
    public func run() throws(PipelineError) -> RunSummary {
        let held = HeldLock()
        var summary: RunSummary
        do {
            summary = try runAll(held)
        } catch {
            held.lock?.release(quick: true)
            throw error
        }
        // The lock of a run that stopped early (a failing sink, a Redis that stopped
        // answering): released quickly, and said when it cannot be (rv76b: a failed run left
        // `funnel:lock` without a word, and a run from another host was refused for a day).
        // A run that went to its end released it already.
        if let lock = held.lock {
            let began = Self.now()
            if let warning = lock.release(quick: true) { summary.warnings.append(warning) }
            summary.seconds += Self.now() - began
        }
        if let path = options.metricsFile {
            do {
                try Metrics.write(summary, pipeline: pipeline.file, to: path, now: Int64(time(nil)))
            } catch {
                // After the work, which the exit status tells: a warning (it was a problem line
                // beside exit 0), as a summary file that cannot be written then is.
                summary.warnings.append(SummaryFile.afterTheRun(error.description, exitStatus: summary.exitStatus))
            }
        }
        return summary
    }

    /// The run's lock, taken by `runAll` and released by `run` (a class: an `inout` the
    /// nested functions of `runAll` captured crashed a backfill's runs, signal 11).
    private final class HeldLock {
        var lock: RunLock?
    }

    private func runAll(_ held: HeldLock) throws(PipelineError) -> RunSummary {
        let started = Self.now()
        var summary = RunSummary()
        summary.pipeline = pipeline.file
        summary.setDays(options.days)
        summary.dryRun = options.dryRun
        /// The summary of a run the sink stopped before it read: `message` its problem, exit 3.
        func stoppedBySink(_ message: String) -> RunSummary {
            summary.problems.append(message)
            summary.exitStatus = .sinkFailure
            summary.seconds = Self.now() - started
            return summary
        }
        summary.maxRejectRate = options.maxRejectRate ?? pipeline.maxRejectRate
        var output = options.output ?? pipeline.sink.output
        while output.count > 1 && output.hasSuffix("/") { output.removeLast() }
        // A name that is not UTF-8 arrives with U+FFFD in its place, and names another folder
        // (rv73g: everything went to a folder of that other name, exit 0).
        if output.contains("\u{FFFD}") {
            throw PipelineError("the output folder \(TerminalText.oneLine(output)) holds U+FFFD, the mark of a name that is not UTF-8: funnel would write to a folder of another name; name it in UTF-8")
        }
        let sinkKind = options.sink ?? pipeline.sink.kind
        /// Takes the output folder's lock (nothing for a dry run), once.
        func refuseStoppedRebuild() throws(PipelineError) {
            guard !options.folderLockHeld, let stopped = Backfill.stoppedRebuild(of: output, redis: sinkKind == .redis) else { return }
            let range = TerminalText.oneLine(stopped.days).split(separator: " ").joined(separator: " to ")
            throw PipelineError("a backfill --rebuild of \(range) into \(output) has not been switched in (\(stopped.toldBy)): what this run wrote would be put away by its switch; resume it first (the same backfill command), then run this again; or, to give the rebuild up, delete \(stopped.giveUp.joined(separator: " and "))")
        }
        func takeLock() throws(PipelineError) {
            guard !options.dryRun, held.lock == nil else { return }
            // A flat-file rebuild stopped in its switch has moved the output folder aside: the
            // refusal comes before the folder is made again (rv77c: the refused run's new
            // folder and lock made the resumed switch ask to move it away).
            if access(output, F_OK) != 0 { try refuseStoppedRebuild() }
            try Self.makeFolder(output)
            held.lock = options.folderLockHeld ? RunLock() : try RunLock(folder: output)
            // A rebuild of this folder stopped before its switch: what this run wrote would be
            // put away when it is resumed (a Redis rebuild's own days hold its lock and pass).
            // One stopped by a version before 2026-12-06, which wrote no marker, is told by its
            // state: a flat-file rebuild's in `<output>.rebuild`, a Redis rebuild's in the
            // output folder (rv73c: a night run after such a rebuild was killed and before
            // the upgraded funnel resumed it exited 0, and the switch put it away).
            // The way out names what told it (rv73f: a Redis rebuild's state refused again
            // after the marker alone was deleted, as the message said).
            try refuseStoppedRebuild()
            // A run's file is cleared of a killed run's temporary when it is written again; one
            // of another name (another sink's, or gzip's `.gz`) stayed for good (rv69c: a
            // 55 MB `redis.resp.tmp-<pid>` beside every later `sessions.ndjson`).
            AtomicFile.removeStaleTemporaries(inFolder: output, ofNames: { name in
                let plain = name.hasSuffix(".gz") ? String(name.dropLast(3)) : name
                return Self.outputNames.contains(plain)
            })
        }
        // A run reading standard input takes its lock before it waits for stdin's first line
        // (which names the stream): a run refused for another's lock is refused at once, not
        // after its producer has begun writing into the pipe (rv72b). Other runs take it after
        // their inputs are listed, so that a mistyped --input makes no output folder.
        if options.inputs.contains("-") || pipeline.sources.contains(where: { $0.paths.contains("-") }) {
            try takeLock()
        }
        var (files, missing, planWarnings) = try InputPlan.files(pipeline: pipeline, options: options)
        if let own = InputsInOutput.ownFile(among: files, output: output) {
            throw PipelineError("\(own) is one of funnel's own files in the output folder \(output), and would be read as input (a path pattern or --input that takes the folder's sessions, rejects or history reads what funnel wrote back as lines): narrow the pattern, or keep inputs and outputs in separate folders")
        }
        summary.missingInputs = missing
        let kindsRead = Set(files.map(\.source.kind))
        summary.warnings += pipeline.loadWarnings.filter {
            (options.inputs.isEmpty || $0.kind.map(kindsRead.contains) ?? true) && !($0.aboutTheFilesSink && sinkKind != pipeline.sink.kind)
        }.map(\.text) + planWarnings
        // (Not named: it may hold a password.)
        if sinkKind != .redis, options.redisURL != nil {
            summary.warnings.append("--redis-url is for the redis sink, and this run's sink is \(sinkKind.rawValue): it was not used")
        }

        let configuration = try Self.configuration(pipeline)
        let keyLayout = pipeline.sink.keyLayout
        let gzip = pipeline.sink.gzip
        if gzip && sinkKind == .redis {
            throw PipelineError("\(pipeline.file): sink.gzip applies to the flat-file sinks (ndjson, csv, resp), and this run's sink is redis: remove it or choose a flat-file sink")
        }

        // Build sinks before reading, so a bad URL or folder fails in a second, not after an hour.
        var sink: SessionSink?
        /// A flat-file sink's sessions file.
        var flatPath: String?
        var rejects: RejectWriter?
        var history: HistoryStore?
        /// The Redis sink's history, whose count of committed runs the folder keeps under
        /// `redisIdentity` (`historyIdentity`).
        var redisRuns: RedisHistoryStore?
        var redisIdentity = ""
        var journal: SentSessionsJournal?
        try takeLock()
        // Read under the run lock: a run that waited for another's lock and had read the
        // manifest before it wrote back the manifest as it stood before the other run, whose
        // files were then unknown to the next (a review saw it in 7 of 10 tries, and a changed
        // input go unreported; until 2026-12-05).
        // A flat-file run's manifest left pending by a run stopped in its last steps goes in
        // place or away first, by whether the history took that run (`PendingManifest`).
        if !options.dryRun && sinkKind != .redis {
            summary.warnings += try PendingManifest.resolve(folder: output, file: options.manifestFile)
        }
        var manifest = Manifest(folder: output, file: options.manifestFile, for: files)
        // A file read before is named as its lines are stored, however it is given now.
        for (index, position) in manifest.keptPositions(of: files).enumerated() {
            if let position { files[index].keepPositions(position) }
        }
        // Before any output is replaced (until 2026-12-05 at the end, after them; a review).
        if !options.dryRun, let unreadable = manifest.unreadable {
            if manifest.outOfDescriptors { throw PipelineError("\(unreadable) (\(SinkError.outOfDescriptorsHint))") }
            throw PipelineError("\(unreadable): it lists the files read before, and a run would replace it with its own alone; make it readable (or move it away to start a new one) and run again")
        }
        if !options.dryRun {
            do {
                rejects = try RejectWriter(folder: output)
                if sinkKind != .redis {
                    // Before the history is opened, which would make a missing one anew (rv77c:
                    // the refusal said nothing was written, beside a new empty history).
                    try Self.refuseHistoryBehind(stored: SQLiteHistoryStore.storedGeneration(inFolder: output) ?? 0, folder: output,
                                                 manifestFile: options.manifestFile)
                    history = try SQLiteHistoryStore(folder: output, keyFilterBytes: pipeline.keyFilterBytes)
                }
                switch sinkKind {
                case .ndjson, .csv, .resp:
                    let (writer, path) = try Self.flatWriter(sinkKind, pipeline: pipeline, folder: output, gzip: gzip)
                    sink = writer
                    flatPath = path
                    summary.sink = "\(sinkKind.rawValue) \(path)"
                case .redis:
                    let url = try redisURL()
                    // Named before it is reached: a summary of a failed start said `sink` blank.
                    summary.sink = "redis \(url.redacted)"
                    // Retries are announced as they happen: a silent server costs a command
                    // timeout per attempt, and a cron log should show why the run is slow.
                    let report = self.report
                    let clear = Progress.draws(options.progress) ? Progress.clearLine : ""
                    let notice: RedisRetryNotice = { report(clear + "warning: \($0)\n") }
                    sink = try RedisSessionWriter(url: url, layout: keyLayout, sortedSet: pipeline.schema.eventsAsSortedSet,
                                                  ttlSeconds: pipeline.sink.ttlSeconds, notice: notice)
                    let notesKey = keyLayout.bookkeepingKey(SentSessions.journalName)
                    let redisHistory = RedisHistoryStore(url: url, prefix: pipeline.sink.keyPrefix, keyFilterBytes: pipeline.keyFilterBytes, notice: notice,
                                                         runInputs: files.map(\.positionName), sentJournalKey: notesKey)
                    history = redisHistory
                    redisRuns = redisHistory
                    if let failure = try held.lock?.lockRedis(url: url, prefix: pipeline.sink.keyPrefix, notice: notice) {
                        return stoppedBySink(failure.message)
                    }
                    summary.warnings += held.lock?.warnings ?? []
                    // A Redis holding less than this folder's runs loaded (restarted from an
                    // older snapshot or empty, flushed, another server) is refused: a run
                    // would build returning visitors' sessions without their past and leave
                    // the lost days missing, exit 0 (a review, 2026-12-06).
                    let stored: Int64
                    do throws(SinkError) {
                        stored = try redisHistory.storedGeneration()
                    } catch {
                        return stoppedBySink(error.message)
                    }
                    redisIdentity = CommittedRunsFile.historyIdentity(url, prefix: pipeline.sink.keyPrefix)
                    let loadedBefore = CommittedRunsFile.read(output + "/" + CommittedRunsFile.name(options.manifestFile), of: redisIdentity)
                    // No count of this Redis in the folder (the runs before were a version's
                    // before 2026-12-06, which kept none, or another sink's), an empty history
                    // in Redis, and files the folder's runs kept records of: said, as the
                    // upgrade's first night cannot tell a Redis that lost those runs (rv73c:
                    // exit 0, returning visitors built without their past).
                    if loadedBefore == nil, stored == 0, case let read = Manifest.filesKept(folder: output, file: options.manifestFile), read > 0 {
                        summary.warnings.append("the output folder's manifest lists \(read) \(read == 1 ? "file" : "files") whose records earlier runs kept, and Redis at \(url.redacted) holds no funnel history: if those runs loaded this Redis (a version before 2026-12-06 kept no count of them), it lost them, and this night's returning visitors are built without their past: reprocess the days loaded, funnel backfill PIPELINE --from FIRST --to LAST --rebuild; if they loaded another sink or server, nothing is wrong (docs/operations.md, \"Upgrading funnel\")")
                    }
                    if let loaded = loadedBefore, loaded > stored {
                        summary.redisLostRuns = true
                        let remedy = options.manifestFile == Manifest.rebuildFileName
                            ? "run the same backfill again: its rebuild starts again from its first day"
                            : "reprocess the days loaded from nothing: funnel backfill PIPELINE --from FIRST --to LAST --rebuild; or, to go on without them, delete the line of \(redisIdentity) in \(output)/\(CommittedRunsFile.name(options.manifestFile))"
                        return stoppedBySink("Redis at \(url.redacted) holds less than the runs into \(output) loaded (\(stored) of their \(loaded) committed runs): it was restarted from an older snapshot or empty, flushed, evicted keys (a maxmemory-policy other than noeviction), or is another server, and the days loaded since are missing; nothing was written. What to do: \(remedy) (docs/operations.md, \"After a failed night\")")
                    }
                    summary.sink = "redis \(url.redacted)"
                    let notes = SentSessionsJournal(url: url, key: notesKey, notice: notice)
                    journal = notes
                    do throws(SinkError) {
                        let strays = try SentSessions.reconcile(notes, store: history!, sink: sink!)
                        if strays > 0 {
                            summary.warnings.append("deleted \(strays) \(strays == 1 ? "session" : "sessions") that a run cut short had sent and no visitor's row lists, those still stored (docs/operations.md, \"After a failed night\")")
                        }
                    } catch {
                        return stoppedBySink(error.message)
                    }
                }
            } catch let error as SinkError {
                throw PipelineError(error.message)
            } catch let error as PipelineError {
                throw error
            } catch {
                throw PipelineError("\(error)")
            }
        } else {
            summary.sink = "none (dry run)"
        }

        let chunkRecords = options.chunkRecords ?? Self.defaultChunkRecords
        let store: HistoryStore
        var sessions: SessionStage
        do throws(SinkError) {
            if let history { store = history } else { store = try SQLiteHistoryStore.temporary() }
        } catch {
            throw PipelineError(error.message)
        }
        if !options.dryRun {
            let settings = BuildSettings.text(pipeline)
            let stored: String?
            let note: String?
            do throws(SinkError) {
                stored = try store.storedBuildSettings()
                note = try store.storedRebuildNote()
            } catch {
                // A sink's fault, exit 3 (an ACL without `funnel:settings` was exit 1; a review).
                return stoppedBySink(error.message)
            }
            // Said on every run until a rebuild (rv69g: the problem was said once, and the
            // re-run of the night exited 0 with the store still unlike one run's).
            if let note {
                summary.warnings.append("the stored sessions still differ from one run over the days loaded (\(note)): rebuild them, funnel backfill PIPELINE --from FIRST --to LAST --rebuild; this is said on every run until then (docs/operations.md, \"Changing the pipeline\")")
            }
            store.rebuildNote = note
            // Compared setting by setting: a history stored before a setting was kept (the salt's
            // fingerprint) differs in its text and in nothing else (rv72b: an upgrade said
            // "built with other settings: ;", exit 2, and warned for good).
            if let stored, case let changed = BuildSettings.changes(from: stored, to: settings), !changed.isEmpty {
                let changes = changed.joined(separator: ", ")
                store.rebuildNote = BuildSettings.noting("the settings changed: \(changes)", in: store.rebuildNote)
                let where_ = sinkKind == .redis ? "Redis at \(summary.sink.dropFirst("redis ".count))\(pipeline.sink.keyPrefix.isEmpty ? "" : " under the key prefix '\(pipeline.sink.keyPrefix)'")" : output
                summary.problems.append("the sessions stored in \(where_) were built with other settings: \(changes); sessions stored before keep the settings of their runs, and a run does not rebuild every visitor it reads from nothing (a visitor back after its stored sessions is continued from them), so running the days again does not apply the new ones: rebuild, funnel backfill PIPELINE --from FIRST --to LAST --rebuild over the days loaded; or put the settings back, which the next run says in turn (docs/operations.md, \"Changing the pipeline\")")
                if summary.exitStatus == .success { summary.exitStatus = .inputDamaged }
            }
            store.buildSettings = settings
        }
        do throws(SinkError) {
            sessions = try SessionStage(transformer: Transformer(configuration: configuration), store: store, sink: sink,
                                        chunkRecords: chunkRecords, warnVisitorRecords: pipeline.warnVisitorRecords,
                                        continueVisitorRecords: pipeline.continueVisitorRecords, continuesVisitors: pipeline.continuesVisitors,
                                        journal: journal)
        } catch {
            throw PipelineError(error.message)
        }
        let sources = try files.map { file throws(PipelineError) in
            var source = try LineSource(file: file)
            source.previousContentBytes = manifest.previousContentBytes(of: file)
            return source
        }
        let reader = ReadStage(sources: sources, pipeline: pipeline, configuration: configuration, rejects: rejects,
                               manifest: options.dryRun ? nil : manifest,
                               progress: Progress(mode: options.progress, total: files.count, paths: files.map(\.path), report: report),
                               batchSize: min(4096, chunkRecords))
        var failure: SinkError?
        do throws(SinkError) {
            try reader.start()
            try sessions.run(reader.queue)
        } catch {
            failure = error
            reader.queue.close()
            while reader.queue.pop() != nil {}
        }
        let (tally, readManifest) = reader.finish()
        if let readManifest { manifest = readManifest }
        if failure == nil, let outOfDescriptors = tally.outOfDescriptors { failure = SinkError(outOfDescriptors) }
        summary.files = tally.files
        summary.rejected = tally.rejected.filter { !$0.key.isDamage }
        summary.damaged = tally.rejected.filter { $0.key.isDamage }
        if let holes = summary.damaged[.nulHole] {
            summary.warnings.append("\(holes == 1 ? "1 hole" : "\(holes) holes") of NUL bytes a crash left in \(holes == 1 ? "its file" : "their files") (rejects.ndjson names them): the lines after them were read, what the holes replaced is lost")
        }
        summary.filtered = tally.filtered
        summary.kept = tally.kept
        summary.linesRead = tally.linesRead
        summary.problems += tally.problems
        if !tally.unnamedBefore.isEmpty {
            // Once a file: the manifest names its lines from this run on (rv73c).
            let named = tally.unnamedBefore.count == 1 ? "\(tally.unnamedBefore[0]) was" : "\(tally.unnamedBefore.count) files (first: \(tally.unnamedBefore[0])) were"
            summary.warnings.append("\(named) read before by a version before 2026-12-05's evening, which kept no name for their lines in the manifest; they are named now as this run names them, which is right unless the place of their source or path pattern in the pipeline file changed since, or they were given as --input then or now: then their records are stored twice, and a funnel backfill --rebuild of their days mends it (docs/operations.md, \"Upgrading funnel\")")
        }
        if !tally.changedInputs.isEmpty {
            let shown = ShortList.text(tally.changedInputs.map { "\($0.path): \($0.why)" }, first: 3, separator: "; ")
            if !options.dryRun {
                store.rebuildNote = BuildSettings.noting("\(tally.changedInputs.count == 1 ? "an input" : "\(tally.changedInputs.count) inputs") read before changed (first: \(tally.changedInputs[0].path))", in: store.rebuildNote)
            }
            summary.problems.append("\(tally.changedInputs.count == 1 ? "an input" : "\(tally.changedInputs.count) inputs") read before changed: \(shown). The history keeps what the earlier reading gave (a record is kept by its file and line), so stored sessions may hold records of it, stale or doubled; to replace them, reprocess every day loaded so far from nothing: funnel backfill PIPELINE --from FIRST --to LAST --rebuild (docs/operations.md, \"An input that changed after it was loaded\")")
            summary.exitStatus = .inputDamaged
        }
        if let (count, first) = tally.future.said(one: "1 record is", many: "records are") {
            summary.warnings.append("\(count) dated more than a day after the day their file holds (first: \(first)): kept, each in a session of its own time; a clock wrong where the line or event was made? (docs/operations.md, \"Exit status and what to do\")")
        }
        if let (count, first) = tally.past.said(one: "1 access-log record is", many: "access-log records are") {
            summary.warnings.append("\(count) dated more than a day before the day their file holds (first: \(first)): kept, each in a session of its own time; a server's clock set wrong, or another day's log under this day's name? (docs/operations.md, \"Exit status and what to do\")")
        }
        if let (count, first) = tally.unreadNumbers.said(one: "1 event held", many: "events held") {
            summary.warnings.append("\(count) a value, percent or watch_time that is no number funnel reads, or a consent answer that is none of granted, denied, true, false, yes, no (first: \(first)); the events were kept without it, so a purchase counts with no amount and a consent stays as it was")
        }
        if let (count, first) = tally.filesWithoutMappedPaths.said(one: "1 file's events hold", many: "files' events hold") {
            summary.warnings.append("\(count) no value at a path of the source's fields mapping (first: \(first)): those fields were read as the dialect reads them, or not at all; a path misspelt, or a field the export no longer has? (docs/pipeline.md)")
        }
        if let (count, first) = tally.otherCaseEvents.said(one: "1 event is", many: "events are") {
            summary.warnings.append("\(count) named as one of funnel's events in another case or with spaces around it (first: \(first)): kept as custom events, so a purchase is no conversion and a consent no answer; the source's event_names maps them (docs/pipeline.md)")
        }
        if let (count, first) = tally.placeholderIDs.said(one: "1 record held", many: "records held") {
            summary.warnings.append("\(count) an id that is a placeholder a script or template writes where no id was set (first: \(first)): read as no id, since it is every such client's (as an event_id it would make their events one, as a visitor or session id their visits one); the source should leave the id out (docs/pipeline.md)")
        }
        if tally.purchaseCurrencies.count > 1 {
            let counts = tally.purchaseCurrencies.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            let shown = ShortList.text(counts.map { "\($0.key) \($0.value)" }, first: 5, separator: ", ")
            summary.warnings.append("purchases in \(counts.count) currencies (\(shown)) were summed as given: funnel converts no amount, so a donation_amount and the revenue may add one currency to another; send values in one currency (docs/fields.md, \"Amounts and currencies\")")
        }
        if let first = tally.cutLastLines.first {
            let files = tally.cutLastLines.count == 1 ? "1 input ends" : "\(tally.cutLastLines.count) inputs end"
            summary.warnings.append("\(files) in the middle of a line that was rejected (first: \(first)): a copy not finished? once the file is whole, run its day again (it is then read as grown, and its rest is loaded)")
        }
        if let (files, first) = tally.pastFormatFiles.said(one: "1 access log has", many: "access logs have") {
            summary.warnings.append("\(files) text after the end of the log format on most lines (first: \(first)): the format may lack fields the log has (a combined log read with format: common loses every referrer and user agent, so no bot is filtered and no channel found); add them to the format, or leave it if the server appends fields funnel does not read (funnel validate shows the share)")
        }
        // A gzip file that is still empty is most often a copy not yet begun: said, as it
        // would otherwise pass as a day without lines (a review of cron runs, 2026-12-05's night).
        // Not after a failing sink stopped the reading: the files it never reached have no
        // bytes counted (they were said empty; a review).
        let emptyGzip = failure != nil ? [] : tally.files.filter { $0.bytes == 0 && $0.damage == nil && $0.path.hasSuffix(".gz") }
        if let first = emptyGzip.first {
            let files = emptyGzip.count == 1 ? "\(first.path) is" : "\(emptyGzip.count) .gz files are (first: \(first.path))"
            let copy = emptyGzip.count == 1 ? "if its copy had not begun, run the day again once it is whole (it is then read as grown)"
                : "if their copies had not begun, run the day again once they are whole (they are then read as grown)"
            summary.warnings.append("\(files) empty, 0 bytes: read as no lines; \(copy)")
        }
        // Standard input that gave no line (no byte, or an empty gzip stream: rv75h): most
        // often the program writing to it failed (rv75d: `producer | funnel run --input -`
        // passed, exit 0, without a word).
        if failure == nil, tally.files.contains(where: { $0.path == "-" && $0.lines == 0 && $0.damage == nil }) {
            summary.warnings.append("standard input (--input -) gave no line: did the program writing to it fail?")
        }
        if tally.damaged { summary.exitStatus = .inputDamaged }
        if let failure {
            summary.problems.append(failure.message)
            // A Redis sink sends sessions as it goes: the summary says how many reached it
            // (until 2026-12-05 "sessions 0 written" after thousands were).
            if let redis = sink as? RedisSessionWriter {
                summary.sessions = redis.sessionsWritten
                summary.cutShortBySink = true
                summary.unconfirmedSessions = redis.batchSize
            }
            summary.exitStatus = ExitStatus(stoppedBy: failure)
            summary.seconds = Self.now() - started
            return summary
        }

        if summary.rejectRate > summary.maxRejectRate {
            // The reasons, most first, and advice for the commonest (rv74a: "check the source's
            // format setting" was said of NDJSON sources, which have none), and a dry run,
            // which writes no rejects.ndjson, is not sent to it (rv74d).
            let reasons = summary.rejected.filter { $0.value > 0 }.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
            let advice = reasons.first?.key == .formatMismatch
                ? "check the access-log source's format setting against a line of the log"
                : options.dryRun ? "a run without --dry-run writes each line's reason and detail to rejects.ndjson"
                : "rejects.ndjson gives each line's reason and detail"
            summary.problems.append("rejected \(summary.rejectedTotal) of \(summary.linesRead) lines (\(reasons.prefix(3).map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", "))), more than the limit of \(summary.maxRejectRate); \(advice)")
            summary.exitStatus = .inputDamaged
        }
        var outputsInPlace = false
        do throws(SinkError) {
            let totals = try sessions.finish(summary: &summary)
            if totals.mergedPageViews > 0 { summary.combined[.mergedPageView] = totals.mergedPageViews }
            if totals.duplicateEvents > 0 { summary.combined[.duplicateEvent] = totals.duplicateEvents }
            if totals.overEventCap > 0 { summary.combined[.overEventCap] = totals.overEventCap }
            summary.visitors = totals.visitors
            summary.withheldSessions = totals.withheldSessions
            if let failure = tally.rejectFailure { throw failure }
            // Every file written and synced before any goes in place: a disk that fills leaves
            // the previous files all as they were (`SessionSink.prepare`; rv70d).
            try rejects?.prepare()
            try sink?.finish()
            outputsInPlace = true
            if let flatPath { summary.warnings += Self.removeOtherSessionFiles(besides: flatPath, in: output) }
            try rejects?.finish()
            // History last, after the manifest: a run cut short before this point is repaired
            // by running it again. (Until 2026-12-05 the manifest came after the commit, and a
            // run stopped in between, by a kill or a manifest it could not write, left its
            // work committed: the re-run found nothing new and replaced the run's complete
            // sessions file with an empty one. Until 2026-12-06 a flat-file run's manifest
            // went in place before the commit, and one stopped in between left a manifest the
            // history did not go with: `PendingManifest`.)
            if !options.dryRun {
                // A flat-file sink's manifest is written pending, and put in place after the
                // history's commit took its token (`PendingManifest`); a Redis sink's history
                // has taken the run chunk by chunk, and its manifest goes in place at once.
                let sqlite = store as? SQLiteHistoryStore
                let token = sqlite.map { _ in options.manifestToken ?? PendingManifest.newToken() }
                let manifestFile = token.map { PendingManifest.name(of: options.manifestFile, token: $0) } ?? options.manifestFile
                let sameBytes = try manifest.write(folder: output, file: manifestFile)
                // Said before the commit, so that a run whose commit fails says it too.
                let runKeys = Set(files.map(\.manifestKey))
                if let first = sameBytes.first {
                    store.rebuildNote = BuildSettings.noting("\(first.0) holds the lines of \(first.1) (read twice)", in: store.rebuildNote)
                }
                for (new, old, bytes) in sameBytes {
                    let name = old == "-" ? "standard input" : old
                    let other = runKeys.contains(old) ? "\(name), which this run read too" : "\(name), which a run read before"
                    let same = bytes ? "the same bytes (size and CRC-32)" : "the same lines (the size and CRC-32 of its content, decompressed)"
                    summary.problems.append("\(new) holds \(same) as \(other): if it is that file renamed, compressed or copied, its lines were stored again under other names and each of its events now counts twice in the stored sessions; remove or rename back the copy and reprocess the days loaded from nothing: funnel backfill PIPELINE --from FIRST --to LAST --rebuild (docs/operations.md, \"Runs over time\"); if the two are different files, nothing is wrong")
                    if summary.exitStatus == .success { summary.exitStatus = .inputDamaged }
                }
                sqlite?.manifestToken = token
                do throws(SinkError) {
                    try store.commit()
                } catch {
                    if token != nil { unlink(output + "/" + manifestFile) }
                    throw error
                }
                // The run's work is durable and the next run puts the manifest in place: a warning.
                if let token, let failure = PendingManifest.putInPlace(folder: output, file: options.manifestFile, token: token) {
                    summary.warnings.append(failure)
                }
            }
            // A Redis run cut short may leave sessions it sent that no row lists, which the
            // next run deletes (`SentSessions`), and visitors whose sessions it never sent:
            // until it is run again its days are incomplete (until 2026-12-05 no run said so).
            for run in store.runsLeftUnfinished {
                let files = ShortList.text(run, first: 3, separator: ", ")
                summary.warnings.append("a run of \(files) wrote to this Redis and did not finish: run it again (the same command); until then its days' sessions may be missing or stale (docs/operations.md, \"After a failed night\")")
            }
        } catch {
            summary.problems.append(error.message)
            summary.exitStatus = ExitStatus(stoppedBy: error)
            // A flat-file sink's sessions are written when its file goes in place: a run that
            // failed before wrote none (rv70d: "4506 written" beside the previous file).
            if !outputsInPlace && !(sink is RedisSessionWriter) {
                summary.sessions = 0
                summary.deletedSessions = 0
                summary.conversions = 0
                summary.revenue = .zero
                summary.problems.append("none of this run's files was put in place: the output folder holds the previous run's")
            }
        }
        // After the commit: a run stopped in between leaves the folder's number behind the
        // history's, which is no refusal, and the next run writes it. Under the lock: a run
        // that wrote it after the release could put its count into a folder a rebuild had
        // switched in meanwhile, and every later night was refused (rv77c).
        if let committed = (history as? SQLiteHistoryStore)?.committedGeneration {
            let path = output + "/" + CommittedRunsFile.name(options.manifestFile)
            if let failure = CommittedRunsFile.write(committed, of: CommittedRunsFile.sqliteIdentity, to: path) {
                summary.warnings.append("cannot write \(path) (\(failure)): a history put back from an older copy is not told by the next run")
            }
        }
        if let warning = held.lock?.release(quick: summary.exitStatus == .sinkFailure) { summary.warnings.append(warning) }
        if let lost = held.lock?.lostDuringRun {
            summary.problems.append(lost)
            summary.exitStatus = .sinkFailure
        } else if let committed = redisRuns?.committedGeneration {
            // After the release's restart check: a run whose server restarted leaves the
            // folder's number ahead of the new server's, and the next run says so.
            let path = output + "/" + CommittedRunsFile.name(options.manifestFile)
            if let failure = CommittedRunsFile.write(committed, of: redisIdentity, to: path) {
                summary.warnings.append("cannot write \(path) (\(failure)): a Redis that loses this run's data is not told by the next run")
            }
        }
        summary.seconds = Self.now() - started
        return summary
    }

    /// Refuses a flat-file history holding fewer committed runs than the output folder's runs
    /// committed into it (`CommittedRunsFile`): put back from an older copy (operations.md's
    /// own advice, followed for the history alone), emptied by a failed copy or a crash, or
    /// deleted and made anew. A run over it would build returning visitors without the days
    /// since and leave those days out of every later export, exit 0 (rv77a). Nothing has been
    /// read or written when it is refused (exit 1, as a history that cannot be opened).
    /// `funnel export` asks it too (rv77c: it exported what such a history held, exit 0).
    static func refuseHistoryBehind(stored: Int64, folder: String, manifestFile: String) throws(PipelineError) {
        let countPath = folder + "/" + CommittedRunsFile.name(manifestFile)
        guard let committed = CommittedRunsFile.read(countPath, of: CommittedRunsFile.sqliteIdentity), committed > stored else { return }
        let path = folder + "/" + SQLiteHistoryStore.fileName
        var error = PipelineError("history database \(path) holds fewer runs than this folder's runs committed into it (\(stored) of \(committed)): it was put back from an older copy, emptied or replaced, and the days of the runs since are missing from it; nothing was read or written. What to do: put back the whole output folder from one copy (the history with \(manifestFile) and \(CommittedRunsFile.name(manifestFile))) and run the days since that copy again; or move the output folder aside and rebuild every day it held, funnel backfill PIPELINE --from FIRST --to LAST --rebuild; or, to go on without the missing days, delete the line '\(CommittedRunsFile.sqliteIdentity)' of \(countPath) (docs/operations.md, \"After a failed night\")")
        error.historyBehind = true
        throw error
    }

    /// Removes the sessions files of other forms than `own` (another sink kind's, or the same
    /// with or without `.gz`) from `folder`, once `own` is in place, and says each: they hold
    /// an earlier run's changes, which a loader reading them would take for the last night's
    /// (rv71b: `sink.gzip` turned on left the previous night's `sessions.ndjson` beside the
    /// new `sessions.ndjson.gz`).
    static func removeOtherSessionFiles(besides own: String, in folder: String) -> [String] {
        let ownName = own.split(separator: "/").last.map(String.init) ?? own
        var said: [String] = []
        // A `resp` run writes its deletions into its stream: a `deleted.ndjson` beside it is an
        // earlier night's (rv72a).
        let ownDeleted = !ownName.hasPrefix(RESPSessionWriter.fileName)
        for name in [NDJSONSessionWriter.fileName, CSVSessionWriter.fileName, RESPSessionWriter.fileName, DeletedSessionsFile.fileName] {
            for candidate in [name, name + ".gz"] where candidate != ownName && !(ownDeleted && name == DeletedSessionsFile.fileName) {
                let path = folder + "/" + candidate
                guard access(path, F_OK) == 0, unlink(path) == 0 else { continue }
                said.append("removed \(path), an earlier run's sessions in another form than this run's \(ownName): a loader reading it would take an earlier night's changes for the last one's")
            }
        }
        if !said.isEmpty { AtomicFile.syncFolder(folder) }
        return said
    }

    /// The files a run writes into its output folder (each also with `.gz` where gzip applies).
    static let outputNames: Set<String> = [NDJSONSessionWriter.fileName, CSVSessionWriter.fileName, RESPSessionWriter.fileName,
                                           DeletedSessionsFile.fileName, RejectWriter.fileName]

    /// The writer of a flat-file sink `kind` (not `.redis`) for `pipeline` into `folder`, and
    /// the path of the file it writes: a run's sink, and `funnel export`'s (`Exporter`). The
    /// CSV columns are the schema's fields with the pipeline's slots (`FieldLayout`), as the
    /// transformer fills them.
    static func flatWriter(_ kind: Pipeline.SinkKind, pipeline: Pipeline, folder: String,
                           gzip: Bool) throws(SinkError) -> (any EncodedSessionSink, String) {
        switch kind {
        case .csv:
            let fieldNames = FieldLayout(schema: pipeline.schema, slots: pipeline.slots.map(\.name)).fieldNames
            let writer = try CSVSessionWriter(folder: folder, fieldNames: fieldNames, gzip: gzip)
            return (writer, writer.path)
        case .resp:
            let writer = try RESPSessionWriter(folder: folder, layout: pipeline.sink.keyLayout, sortedSet: pipeline.schema.eventsAsSortedSet,
                                               ttlSeconds: pipeline.sink.ttlSeconds, gzip: gzip)
            return (writer, writer.path)
        case .ndjson, .redis:
            let writer = try NDJSONSessionWriter(folder: folder, gzip: gzip)
            return (writer, writer.path)
        }
    }

    /// What the transformer is told of the pipeline, with its MaxMind database opened.
    static func configuration(_ pipeline: Pipeline) throws(PipelineError) -> TransformConfiguration {
        var configuration = TransformConfiguration(schema: pipeline.schema, sessions: pipeline.sessions, salt: pipeline.salt)
        configuration.siteHosts = pipeline.siteHosts
        configuration.slots = pipeline.slots
        configuration.maxEventsPerSession = pipeline.maxEventsPerSession
        if let path = pipeline.geoDatabase {
            do {
                configuration.geo = try GeoDatabase(path: path)
            } catch {
                throw PipelineError("\(pipeline.file): geo.database: \(error)")
            }
        }
        return configuration
    }

    private func redisURL() throws(PipelineError) -> RedisURL {
        try Self.redisURL(pipeline.sink, override: options.redisURL, file: pipeline.file, environment: options.environment)
    }

    /// The Redis URL of `sink` (`override`, from `--redis-url`, first), the password taken
    /// from `REDIS_PASSWORD` in `environment` (the process's own when it is empty) when the
    /// URL has none; its fault named by where the URL was written: `--redis-url`, or the
    /// pipeline `file`'s `sink.url` (until 2026-12-06 "Bad Redis URL 'http://x'" said neither;
    /// a review).
    static func redisURL(_ sink: Pipeline.Sink, override: String?, file: String?, environment: [String: String]) throws(PipelineError) -> RedisURL {
        do {
            return try RedisURL(sink.redisURLText(override: override), environment: environment.isEmpty ? ProcessEnvironment.current() : environment)
        } catch {
            if override != nil { throw PipelineError("--redis-url: \(error.description)") }
            if sink.url != nil, let file { throw PipelineError("\(file): sink.url: \(error.description)") }
            throw PipelineError(error.description)
        }
    }

    static func makeFolder(_ path: String) throws(PipelineError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part + "/"
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw PipelineError("cannot create output folder \(path): \(String(cString: strerror(errno)))")
            }
        }
        // A file of that name is said as one (rv74a: "cannot open the run lock
        // .../funnel.lock: Not a directory" blamed the lock).
        var status = stat()
        let found = stat(path, &status) == 0
        if found, status.st_mode & S_IFMT != S_IFDIR {
            throw PipelineError("the output folder \(path) is a file, not a folder: name a folder, or a path that does not exist yet")
        }
        if !found, errno == ENOENT || errno == ELOOP, let target = SymbolicLink.target(of: path) {
            throw PipelineError("the output folder \(path) is a symbolic link to \(target), which leads to no folder: make that folder, or name another")
        }
    }

    /// Counts the descriptors the process holds now, as the ones it started with: `funnel`
    /// calls it first thing, so that the input window leaves room for any a parent left
    /// open (`ReadStage.descriptorsAtStart`).
    public static func countInheritedDescriptors() { _ = ReadStage.descriptorsAtStart }

    /// The default report: straight to file descriptor 2, unbuffered.
    public static func writeToStandardError(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 { return }
            offset += written
        }
    }

    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
