import FunnelCore
import FunnelWriters
#if canImport(Glibc)
import Glibc
#endif

/// `funnel backfill`: a range of days run one day at a time, each a normal run that carries
/// history (SPEC 10), with progress, an ETA and a state file so that a killed backfill resumes
/// after its last completed day.
///
/// With `rebuild`, the days are loaded into a staging place first and switched in when all are
/// done: for Redis a staging database, swapped with the live one by `SWAPDB` (atomic for
/// readers); for flat-file sinks a staging folder renamed over the live one.
public struct Backfill {
    public let pipeline: Pipeline
    public var options: RunOptions
    public let days: [Day]
    public var rebuild = false
    /// Redis database used as staging by `rebuild`; default: the live one + 1.
    public var stagingDB: Int?
    /// Retries of the rebuild's own Redis commands (`FLUSHDB`, `SWAPDB`); tests shorten it.
    var retry = RedisRetryPolicy.standard
    /// Points of a rebuild's switch where a test stops the backfill, as a kill would.
    enum SwitchStep { case movedAside, switched, stateRemoved }
    var stopForTest: ((SwitchStep) throws(PipelineError) -> Void)?
    private let report: (String) -> Void

    public init(pipeline: Pipeline, options: RunOptions, days: [Day], report: @escaping (String) -> Void = Runner.writeToStandardError) {
        self.pipeline = pipeline
        self.options = options
        self.days = days
        self.report = report
    }

    /// The backfill's exit status (see `BackfillCommand`). `--metrics-file` ends with the
    /// backfill's own outcome: each day's run writes it, and the backfill then writes the last
    /// day's figures again with the backfill's exit status when that differs (a day skipped
    /// or with rejects before a clean last day, a failed switch), or the failure when a day or
    /// the backfill stops with exit 1. Until 2026-12-05 a backfill that stopped with exit 1
    /// left the previous day's `funnel_exit_status 0`, and one that ended with 2 or 3 the last
    /// day's figures with its 0.
    public func run() throws(PipelineError) -> ExitStatus {
        var last: RunSummary?
        let status: ExitStatus
        do {
            status = try runDays(last: &last)
        } catch {
            if let path = options.metricsFile {
                try? Metrics.write(RunSummary.failed(pipeline: pipeline.file, problem: error.description), pipeline: pipeline.file, to: path)
            }
            throw error
        }
        if let path = options.metricsFile, last?.exitStatus != status {
            var summary = last ?? RunSummary()
            summary.pipeline = pipeline.file
            summary.exitStatus = status
            do {
                try Metrics.write(summary, pipeline: pipeline.file, to: path)
            } catch {
                report("  warning: \(error.description)\n")
            }
        }
        return status
    }

    private func runDays(last: inout RunSummary?) throws(PipelineError) -> ExitStatus {
        let sinkKind = options.sink ?? pipeline.sink.kind
        var output = options.output ?? pipeline.sink.output
        while output.count > 1 && output.hasSuffix("/") { output.removeLast() }
        var dayOptions = options
        var liveURL: RedisURL?
        var stagingURL: RedisURL?
        var stagingFolder: String?
        if rebuild && sinkKind != .redis && (output == "." || output == ".." || output.hasSuffix("/.") || output.hasSuffix("/..")) {
            // `..rebuild` beside `.` loaded every day and then could not move `.` aside (rv69b).
            guard let real = realpath(output, nil) else { throw PipelineError("cannot resolve the output folder \(output): \(String(cString: strerror(errno)))") }
            output = String(cString: real)
            free(real)
        }
        if rebuild {
            if sinkKind == .redis {
                let live = try Runner.redisURL(pipeline.sink, override: options.redisURL, file: pipeline.file, environment: options.environment)
                var staging = live
                staging.db = stagingDB ?? live.db + 1
                guard staging.db != live.db else { throw PipelineError("--staging-db must differ from the live database \(live.db)") }
                liveURL = live
                stagingURL = staging
                dayOptions.redisURL = Self.text(of: staging, original: pipeline.sink.redisURLText(override: options.redisURL))
                // The staging history starts from nothing: so does its manifest, or every file
                // read with new settings (what a rebuild is for) would be called changed.
                dayOptions.manifestFile = Manifest.rebuildFileName
            } else {
                // The switch moves the live folder aside whole, and removes the one moved
                // aside before: inputs kept in it went with it, and then for good (rv73g).
                if let moved = InputsInOutput.movedByARebuild(pipeline: pipeline, output: output) {
                    throw PipelineError("\(moved) in the output folder \(output), which a rebuild moves aside whole (to \(output).previous, where the next rebuild deletes it): keep inputs and the pipeline file outside the output folder, then rebuild")
                }
                stagingFolder = output + ".rebuild"
                dayOptions.output = stagingFolder
            }
        }
        let key = "\(days.first!) \(days.last!) \(rebuild ? "rebuild" : "incremental")"
        // A Redis backfill's state names the server it loaded (its `run_id`): a server
        // restarted since (from a snapshot older than the days done, or empty) holds none of
        // them, and resuming after the last day done left them out, exit 0 (rv69b: 7,104
        // sessions of 9,338). Nil when `INFO` is refused: then a restart is not told.
        var redisTarget: RedisURL?
        if sinkKind == .redis && !options.dryRun {
            if let stagingURL { redisTarget = stagingURL } else {
                redisTarget = try Runner.redisURL(pipeline.sink, override: options.redisURL, file: pipeline.file, environment: options.environment)
            }
        }
        let serverRunID = redisTarget.flatMap(Self.serverRunID)
        let stateKey = serverRunID.map { key + " redis:" + $0 } ?? key
        // A flat-file rebuild killed after its staging folder became the output (its state
        // file moved along) is done: until 2026-12-05 it was rebuilt again from nothing, and
        // its switch put the first rebuild where the previous outputs had been kept.
        if let stagingFolder, access(stagingFolder, F_OK) != 0, Self.lastDayDone(in: output + "/backfill.state", key: stateKey, days: days) == days.count - 1 {
            unlink(output + "/backfill.state")
            report("switched: \(output) holds the rebuilt outputs (the switch was done before this backfill was stopped)\n")
            return .success
        }
        // A rebuild holds the live folder's lock for all its days: a nightly run between two of
        // them wrote into the live data that the switch then put away, exit 0 (rv71a: a night
        // lost without a word). It is refused instead, naming the rebuild. (A plain backfill
        // lets a run in between its days: both go into the same history, one after the other.)
        var heldLock: RunLock?
        defer { heldLock?.release() }
        // A flat-file rebuild stopped in its switch after moving the live folder aside (its
        // staging folder done) makes none for the lock: the resumed switch would move that
        // one aside over the kept previous outputs.
        let movedAside = stagingFolder.map { access(output, F_OK) != 0 && Self.lastDayDone(in: $0 + "/backfill.state", key: stateKey, days: days) == days.count - 1 } ?? false
        if rebuild && !options.dryRun && !movedAside {
            try Runner.makeFolder(output)
            heldLock = try RunLock(folder: output, what: "a backfill --rebuild")
            if sinkKind == .redis { dayOptions.folderLockHeld = true }
        }
        let stateFolder = stagingFolder ?? output
        try Runner.makeFolder(stateFolder)
        let statePath = stateFolder + "/backfill.state"
        var start = 0
        // A Redis rebuild resumed over a staging database that lost the days it rebuilt (a
        // restart, told here where `run_id` is not: an ACL without `INFO`) begins again, as
        // its first day's run would refuse it and the way out it names would switch in an
        // incomplete rebuild (rv69h).
        var stagingLost = false
        if let stagingURL {
            let identity = CommittedRunsFile.historyIdentity(stagingURL, prefix: pipeline.sink.keyPrefix)
            if let rebuilt = CommittedRunsFile.read(output + "/" + CommittedRunsFile.name(Manifest.rebuildFileName), of: identity),
               let stored = try? RedisHistoryStore(url: stagingURL, prefix: pipeline.sink.keyPrefix, retry: retry).storedGeneration(), stored < rebuilt {
                stagingLost = true
                report("warning: the staging database \(stagingURL.db) holds less than this rebuild loaded into it (\(stored) of its \(rebuilt) days' runs: restarted or flushed): the rebuild starts again from its first day\n")
            }
        }
        // So does a flat-file rebuild whose staging folder's history holds fewer runs than the
        // rebuild committed into it (emptied, deleted, put back): resumed, it switched in a
        // rebuild without its first days, exit 0 (rv77a).
        if let stagingFolder, stagingURL == nil, !options.dryRun,
           let rebuilt = CommittedRunsFile.read(stagingFolder + "/" + CommittedRunsFile.name(dayOptions.manifestFile), of: CommittedRunsFile.sqliteIdentity) {
            let stored = ((try? SQLiteHistoryStore.storedGeneration(inFolder: stagingFolder)) ?? nil) ?? 0
            if stored < rebuilt {
                stagingLost = true
                report("warning: the history in \(stagingFolder) holds fewer runs than this rebuild committed into it (\(stored) of its \(rebuilt) days' runs: emptied, deleted or put back from a copy): the rebuild starts again from its first day\n")
            }
        }
        if let other = Self.stateKey(in: statePath) {
            let (otherKey, otherServer) = Self.split(stateKey: other)
            // A state that names no server (written before 2026-12-06, or when `INFO` was
            // refused), or a server that cannot be asked now, resumes as before: a restart
            // cannot be told then (rv69f: such a state began again at day 1 in silence).
            if otherKey == key, let otherServer, let serverRunID, otherServer != serverRunID {
                report("warning: Redis restarted since this backfill stopped (its run_id changed): the days it loaded may be lost with the restart, so it starts again from the first day\n")
            } else if otherKey == key, !stagingLost, let index = Self.lastDayDone(in: statePath, key: other, days: days) {
                start = index + 1
                report("resuming \(key) after \(days[index])\n")
            } else if otherKey != key {
                // Said, not dropped without a word (rv69b: a backfill of two years killed,
                // then run to a later last day, began again at day 1 in silence).
                report("warning: \(statePath) is the state of a backfill of \(otherKey), not of \(key): this backfill starts from its first day (to resume that one, run it with its own --from and --to)\n")
            }
        }
        let marker = pipeline.sink.keyLayout.bookkeepingKey("rebuild")
        // A Redis rebuild's state once switched, until its marker is deleted.
        let switchedPath = output + "/backfill.switched"
        let notice: RedisRetryNotice = { [report] in report("warning: \($0)\n") }
        if start == 0 && rebuild {
            // A Redis rebuild stopped after its switch, its state file renamed to
            // `backfill.switched` (below), is done: until 2026-12-05 it was rebuilt again from
            // nothing, and the FLUSHDB of the staging database lost the previous data kept
            // there for a rollback. The file, not the marker alone, says so: a marker whose
            // deletion failed at the end of a finished rebuild made the next rebuild of the
            // same days a no-op.
            if let liveURL, let stagingURL, Self.lastDayDone(in: switchedPath, key: stateKey, days: days) == days.count - 1 {
                report("switched: the rebuilt data is database \(liveURL.db) (the switch was done before this backfill was stopped); the previous data is in database \(stagingURL.db) (FLUSHDB it when satisfied)\n")
                unlink(output + "/" + Self.rebuildingMarker)
                deleteMarker(marker, live: liveURL, notice: notice)
                unlink(switchedPath)
                return .success
            }
            if let liveURL, let stagingURL {
                // SWAPDB swaps whole databases: keys that are not this pipeline's would leave
                // with the old data (until 2026-12-05 they did, without a word); and the
                // staging database is emptied first, whose keys of another's were lost
                // without a word until 2026-12-06 (rv73d).
                try refuseForeignKeys(liveURL, "a rebuild's SWAPDB would move them out with the old data: give the pipeline a database of its own", warning: "SWAPDB moves every key of it", notice: notice)
                try refuseForeignKeys(stagingURL, "a rebuild empties it (FLUSHDB) to build there: name another with --staging-db", warning: "FLUSHDB empties it", notice: notice)
            }
            if let stagingURL, let liveURL {
                // A marker left in the live database by an earlier rebuild would pass for this
                // one's switch (below).
                if let failure = Self.send(stagingURL, ["FLUSHDB"], retry: retry, notice: notice)
                    ?? Self.send(liveURL, ["DEL", marker], retry: retry, notice: notice) {
                    report("  problem: \(failure)\n")
                    return .sinkFailure
                }
                unlink(output + "/" + Manifest.rebuildFileName)
                unlink(output + "/" + CommittedRunsFile.name(Manifest.rebuildFileName))
            }
            if let stagingFolder {
                try FileTree.remove(stagingFolder)
                try Runner.makeFolder(stagingFolder)
            }
        }
        // What the days before a stop gave, so that a resumed backfill still ends with the
        // worst status and names every skipped day (until 2026-12-05 it began them anew, and
        // exited 0 after a kill past a day without input; a review).
        var so = start > 0 ? Self.soFar(in: statePath) : SoFar()
        // The days before this invocation that ended with a status other than 0: their
        // problems were said by the invocation that was stopped, and are named again at the end.
        let failedBefore = so.failing
        func saveState(_ key: String, _ day: Day) throws(PipelineError) {
            do {
                try AtomicFile.write(Self.state(key: key, done: day, so).utf8, to: statePath)
            } catch {
                throw PipelineError("cannot write \(statePath): \(error.message)")
            }
        }
        let began = Runner.now()
        // This invocation's totals, for its last line: someone reprocessing years has them to
        // check against (until 2026-12-05 there were only the days' lines).
        var total = (days: 0, lines: 0, kept: 0, rejected: 0, written: 0)
        // A file read on several days (a month's file, `{date:%Y%m}`, is read by each day's
        // run) counts once: until 2026-12-05's night its lines were in the totals once a day (a
        // review: 724,714 lines read of 122,994).
        var counted = Set<String>()
        // The days of this invocation that ended with a status other than 0, named at the end
        // (until 2026-12-05's night only a resumed backfill named those of the one stopped before it).
        var failedNow: [Day] = []
        var warned = Set<String>()
        /// Whether the server restarted since the backfill began; said, with what to do.
        func restarted(before day: Day) -> Bool {
            guard let redisTarget, let serverRunID, let now = Self.serverRunID(redisTarget), now != serverRunID else { return false }
            report("  problem: Redis at \(redisTarget.redacted) restarted during the backfill (its run_id changed), before \(day) was done: the days loaded before it may be lost unless Redis's persistence kept them\n")
            report("stopped at \(day); run the same command again: it starts again from the first day, and if Redis lost what earlier runs loaded, its first day says so, and the days are to be rebuilt with --rebuild\n")
            return true
        }
        // Said in the live folder until the rebuild is switched in: a run into the live sink
        // while the rebuild is stopped (killed, or a failing day) would be put away by the
        // switch when it resumes, and is refused (rv72b: a night run between a killed rebuild
        // and its resume was lost, exit 0; the lock held for the rebuild's days ends with it).
        if heldLock != nil {
            do {
                try AtomicFile.write("\(days.first!) \(days.last!)\n".utf8, to: output + "/" + Self.rebuildingMarker)
            } catch {
                throw PipelineError("cannot write \(output)/\(Self.rebuildingMarker): \(error.message)")
            }
        }
        for index in start..<days.count {
            let day = days[index]
            dayOptions.days = [day]
            let done = index - start + 1
            if restarted(before: day) { return .sinkFailure }
            let summary: RunSummary
            do {
                summary = try Runner(pipeline: pipeline, options: dayOptions, report: { _ in }).run()
                last = summary
            } catch where !error.noInput {
                // Where the backfill stopped, as a day that fails with status 3 says it (a lock
                // held by another run said only its own message; rv69b).
                report("day \(index + 1)/\(days.count) \(day): \(error.description)\n")
                report(error.historyBehind
                       ? "stopped at \(day): the history lost runs (the problem above); run the same command again once one of its ways out is taken (resumed as it is, it meets the same refusal)\n"
                       : "stopped at \(day); run the same command again to resume from it\n")
                throw error
            } catch {
                // A day without logs (a server down, a gap in an archive) is said and passed:
                // until 2026-12-05 it stopped the backfill, and resuming stopped at it again.
                report("day \(index + 1)/\(days.count) \(day): skipped, \(error.description)\n")
                so.withoutInput.append(day)
                if so.worst.rawValue < ExitStatus.inputDamaged.rawValue { so.worst = .inputDamaged }
                try saveState(stateKey, day)
                continue
            }
            total.days += 1
            for file in summary.files where counted.insert(file.path).inserted {
                total.lines += file.lines
                total.kept += file.kept
                total.rejected += file.rejected
            }
            total.rejected += summary.damaged.values.reduce(0, +)
            total.written += summary.sessions
            let perDay = (Runner.now() - began) / Double(done)
            let eta = Int(perDay * Double(days.count - index - 1))
            report("day \(index + 1)/\(days.count) \(day): \(summary.linesRead) lines, \(summary.sessions) sessions written, exit \(summary.exitStatus.rawValue); ETA \(eta / 60)m\(eta % 60)s\n")
            for problem in summary.problems { report("  problem: \(problem)\n") }
            // Each warning once (those of the pipeline file come every day; until 2026-12-05
            // a backfill said none of them; a review).
            for warning in summary.warnings where warned.insert(warning).inserted { report("  warning: \(warning)\n") }
            // A source without its file this day (events missing beside the logs) is said, as
            // a run's summary says it (until 2026-12-05 a backfill's day line left it out).
            for missing in summary.missingInputs { report("  missing: \(missing) matched no file\n") }
            if !summary.missingInputs.isEmpty { so.missingFiles.append(day) }
            if summary.exitStatus == .sinkFailure || summary.exitStatus == .pipelineError {
                if restarted(before: day) { return .sinkFailure }
                if summary.redisLostRuns {
                    // Resuming would meet the same refusal (rv69h).
                    report(rebuild ? "stopped at \(day): the staging database lost days this rebuild loaded; run the same command again: the rebuild starts again from its first day\n"
                                   : "stopped at \(day): Redis lost what earlier runs loaded (the problem above); rebuild the days loaded: funnel backfill PIPELINE --from FIRST --to LAST --rebuild\n")
                    return summary.exitStatus
                }
                report("stopped at \(day); run the same command again to resume from it\n")
                return summary.exitStatus
            }
            if summary.exitStatus.rawValue > so.worst.rawValue { so.worst = summary.exitStatus }
            if summary.exitStatus != .success {
                so.failing.append(day)
                failedNow.append(day)
            }
            if summary.rejectedTotal + summary.damaged.values.reduce(0, +) > 0 && !options.dryRun { Self.keepRejects(of: day, in: stateFolder, report: report) }
            try saveState(stateKey, day)
        }
        // A state naming the last day as done (a backfill stopped at its end) leaves no day
        // to run, and no totals to give.
        if start < days.count {
            let skipped = so.withoutInput.filter { $0.number >= days[start].number }.count
            let seconds = RunSummary.fixed(Runner.now() - began, 1)
            report("total: \(total.days) \(total.days == 1 ? "day" : "days") read\(skipped > 0 ? ", \(skipped) skipped" : ""), \(total.lines) lines read, \(total.kept) kept, \(total.rejected) rejected (a file read on several days counted once), \(total.written) session writes (a session a later day changed is written again), \(seconds) s\(start > 0 ? " (this backfill's days since it resumed)" : "")\n")
        }
        if !so.missingFiles.isEmpty {
            let shown = ShortList.text(so.missingFiles.map(\.description), first: 10, separator: ", ")
            let seen = start > 0 ? "their lines \"missing:\" above, or in the output of the backfill stopped before this one" : "their lines \"missing:\" above"
            report("  warning: \(so.missingFiles.count == 1 ? "1 day was" : "\(so.missingFiles.count) days were") read with a path pattern matching no file: \(shown) (\(seen))\n")
        }
        if !failedNow.isEmpty {
            let shown = ShortList.text(failedNow.map(\.description), first: 10, separator: ", ")
            report("  problem: \(failedNow.count == 1 ? "1 day" : "\(failedNow.count) days") ended with a status other than 0: \(shown) (their problems are in their lines above)\n")
        }
        if !failedBefore.isEmpty {
            let shown = ShortList.text(failedBefore.map(\.description), first: 10, separator: ", ")
            report("  problem: \(failedBefore.count == 1 ? "1 day" : "\(failedBefore.count) days") done before this backfill resumed ended with a status other than 0: \(shown) (their problems are in the output of the backfill that was stopped; run each again with funnel run PIPELINE --date DAY to see them)\n")
        }
        if !so.withoutInput.isEmpty {
            let shown = ShortList.text(so.withoutInput.map(\.description), first: 10, separator: ", ")
            let count = so.withoutInput.count == 1 ? "1 day had no input file and was" : "\(so.withoutInput.count) days had no input file and were"
            report("  problem: \(count) skipped: \(shown); when their logs are found, run each with funnel run PIPELINE --date DAY\n")
        }
        if rebuild {
            if let liveURL, let stagingURL {
                // Looked at again just before the switch, by a resumed rebuild too: a pipeline
                // that wrote the live database during the rebuild's days, or between its stop
                // and its resume, was swapped away, exit 0 (rv73i).
                try refuseForeignKeys(liveURL, "a rebuild's SWAPDB would move them out with the old data (written since the rebuild began?): move them to a database of their own, then run the same command again to switch; every day is loaded", warning: "SWAPDB moves every key of it", notice: notice)
                if let failure = swap(live: liveURL, staging: stagingURL, marker: marker, key: key, notice: notice) {
                    report("  problem: \(failure)\n")
                    report("stopped before the switch; every day is loaded: run the same command again to switch\n")
                    return .sinkFailure
                }
                // The manifest goes with its history; the previous one stays beside it. Once:
                // a resumed switch finds the rebuild's manifest moved already.
                if access(output + "/" + Manifest.rebuildFileName, F_OK) == 0 {
                    rename(output + "/" + Manifest.fileName, output + "/" + Manifest.fileName + ".previous")
                    rename(output + "/" + Manifest.rebuildFileName, output + "/" + Manifest.fileName)
                }
                // The count of committed runs goes with its history too (the live database
                // now holds the staging one's), under the live database's name.
                let rebuilt = output + "/" + CommittedRunsFile.name(Manifest.rebuildFileName)
                let prefix = pipeline.sink.keyPrefix
                if let count = CommittedRunsFile.read(rebuilt, of: CommittedRunsFile.historyIdentity(stagingURL, prefix: prefix)) {
                    if let failure = CommittedRunsFile.replace(count, of: CommittedRunsFile.historyIdentity(liveURL, prefix: prefix), to: output + "/" + CommittedRunsFile.name(Manifest.fileName)) {
                        report("  warning: cannot write the count of runs beside the manifest (\(failure)): a Redis that loses the rebuilt data is not told by the next run\n")
                    }
                    unlink(rebuilt)
                }
                report("switched: the rebuilt data is now database \(liveURL.db); the previous data is in database \(stagingURL.db) (FLUSHDB it when satisfied)\n")
                unlink(output + "/" + Self.rebuildingMarker)
                try stopForTest?(.switched)
            } else if let stagingFolder {
                // The output moved aside by a switch that was stopped before the staging
                // folder took its place is kept (until 2026-12-05 the resumed switch deleted
                // it as the previous outputs of an earlier rebuild).
                var previousKept = true
                // The rebuilt folder and files take the modes and groups of those they replace
                // (rv73g: a folder closed with `chmod 700`, as the docs advise, came back 0755).
                AtomicFile.keepMode(of: output, for: stagingFolder)
                for name in FileTree.names(in: stagingFolder) ?? [] { AtomicFile.keepMode(of: output + "/" + name, for: stagingFolder + "/" + name) }
                if access(output, F_OK) == 0 {
                    // `.previous` holding this rebuild's marker is the folder a switch stopped
                    // between its two renames moved aside, and the live folder was made since
                    // (a run into it): neither is removed (rv72a: the kept outputs were).
                    if access(output + ".previous/" + Self.rebuildingMarker, F_OK) == 0 {
                        throw PipelineError("\(output).previous holds the outputs this rebuild moved aside when it was stopped in its switch, and \(output) was made since (a run into it): move \(output) away (the nights it holds are to be run again after the rebuild), then run the rebuild again")
                    }
                    // A live folder holding nothing but this rebuild's lock and marker (the
                    // rebuild made it, for its lock: there was no output before) has no previous
                    // outputs: it is removed, and an earlier rebuild's `.previous` kept (until
                    // 2026-12-06 it became a `.previous` holding `funnel.lock` alone, said to
                    // hold "the previous ones"; rv72b).
                    // (A link to a folder is moved aside as before, whatever it holds: removing
                    // the link left the marker in its target; rv73f.)
                    var status = stat()
                    if lstat(output, &status) == 0, status.st_mode & S_IFMT != S_IFLNK,
                       let names = FileTree.names(in: output), Set(names).isSubset(of: ["funnel.lock", Self.rebuildingMarker]) {
                        try FileTree.remove(output)
                        previousKept = false
                    } else {
                        try FileTree.remove(output + ".previous")
                        if rename(output, output + ".previous") != 0 {
                            throw PipelineError("cannot move \(output) aside: \(String(cString: strerror(errno)))")
                        }
                    }
                }
                try stopForTest?(.movedAside)
                guard rename(stagingFolder, output) == 0 else {
                    throw PipelineError("cannot move \(stagingFolder) to \(output): \(String(cString: strerror(errno)))")
                }
                // The folder moved aside is no longer a rebuild's that is stopped in its switch.
                unlink(output + ".previous/" + Self.rebuildingMarker)
                report("switched: \(output) holds the rebuilt outputs\(previousKept ? "; the previous ones are in \(output).previous" : "")\n")
                try stopForTest?(.switched)
            }
        }
        // (`liveURL` is set for a Redis rebuild only.)
        if liveURL != nil {
            rename(output + "/backfill.state", switchedPath)
        } else {
            unlink(output + "/backfill.state")
        }
        if rebuild { try stopForTest?(.stateRemoved) }
        // A rebuild's marker goes last, after the state: a backfill stopped before this point
        // and run again finds it and does not swap the old data back (until 2026-12-05 it was
        // deleted at the swap, and such a resume swapped back). Only a Redis rebuild's end
        // removes `backfill.switched`: another backfill in this folder after a rebuild stopped
        // in its switch deleted it, and the rebuild run again was done anew, its FLUSHDB
        // losing the previous data (a review, 2026-12-05).
        if let liveURL {
            deleteMarker(marker, live: liveURL, notice: notice)
            unlink(switchedPath)
        }
        return so.worst
    }

    /// Every day's run replaces `rejects.ndjson`, so a day with rejects keeps them as
    /// `rejects-<day>.ndjson` beside it: a link to that run's file, which the next day's run
    /// replaces by a rename and so leaves whole. Until 2026-12-05 a backfill's later days hid
    /// an earlier day's rejects (its exit 2 named them, the file no longer held them).
    static func keepRejects(of day: Day, in folder: String, report: (String) -> Void) {
        let kept = folder + "/rejects-\(day).ndjson"
        unlink(kept)
        if link(folder + "/" + RejectWriter.fileName, kept) != 0 {
            report("  warning: cannot keep \(kept): \(String(cString: strerror(errno))); this day's rejects are replaced by the next day's\n")
        }
    }

    /// The URL text with its database replaced (keeping any password as written).
    static func text(of url: RedisURL, original: String) -> String {
        if original.hasPrefix("unix://") {
            let base = original.split(separator: "?").first.map(String.init) ?? original
            return base + "?db=\(url.db)"
        }
        guard let scheme = original.firstRange(of: "://") else { return original }
        let rest = original[scheme.upperBound...]
        let base = rest.firstIndex(of: "/").map { original[..<$0] } ?? original[...]
        return base + "/\(url.db)"
    }

    /// `SWAPDB` of the live and staging databases, once: a marker naming this rebuild is set
    /// in the staging database first, so an attempt after a lost reply finds it in the live
    /// database and does not swap back. Every step has the retries of every Redis fault (until
    /// 2026-12-05 a failure here was exit 1, not 3, and not retried). Nil when switched.
    private func swap(live: RedisURL, staging: RedisURL, marker: String, key: String, notice: @escaping RedisRetryNotice) -> String? {
        var swapped = false
        if let failure = Self.redis(live, retry: retry, notice: notice, { c throws(RedisError) -> String? in
            if case .string(let value) = try c.command("GET", marker) { swapped = value == Array(key.utf8) }
            return nil
        }) {
            return failure
        }
        if swapped { return nil }  // by a backfill stopped before it was done
        if let failure = Self.send(staging, ["SET", marker, key], retry: retry, notice: notice) {
            return failure
        }
        if let failure = Self.redis(live, retry: retry, notice: notice, { c throws(RedisError) -> String? in
            if case .string(let value) = try c.command("GET", marker), value == Array(key.utf8) { return nil }  // swapped already
            return try Self.refusal(c.command("SWAPDB", String(live.db), String(staging.db)), "SWAPDB", live)
        }) {
            return failure
        }
        return nil
    }

    /// Deletes a rebuild's marker from the live database; a failure is a warning, since the
    /// rebuild is done (a later rebuild deletes a marker it finds before it loads).
    private func deleteMarker(_ marker: String, live: RedisURL, notice: @escaping RedisRetryNotice) {
        if let failure = Self.send(live, ["DEL", marker], retry: retry, notice: notice) {
            report("  warning: \(failure); delete the key \(marker) of database \(live.db) by hand\n")
        }
    }

    /// What the days a backfill has done gave, kept in its state so that a resumed backfill
    /// ends as one never stopped would: with the worst status, naming every skipped day.
    struct SoFar: Equatable {
        var worst = ExitStatus.success
        var withoutInput: [Day] = []
        var missingFiles: [Day] = []
        /// Days read that ended with a status other than 0 (damaged input, too many rejects).
        var failing: [Day] = []
    }

    /// The live output folder's file that says a rebuild of its days (`FIRST LAST`) is not yet
    /// switched in; a run into the live sink is refused while it is there (`Runner`).
    public static let rebuildingMarker = "backfill.rebuilding"

    /// A rebuild into `output` stopped before its switch: its first and last day (`A B`), the
    /// file that tells it, and what to delete to give it up. Told by `rebuildingMarker`, or,
    /// for a rebuild stopped by a version that wrote none (before 2026-12-06), by its state
    /// file: a flat-file rebuild's in `<output>.rebuild` (the output folder's own is its
    /// days' while they run), a Redis rebuild's in the output folder (a plain backfill's
    /// state names no rebuild). Nil when there is none.
    static func stoppedRebuild(of output: String, redis: Bool) -> (days: String, toldBy: String, giveUp: [String])? {
        let marker = output + "/" + rebuildingMarker
        let statePath = redis ? output + "/backfill.state" : output + ".rebuild/backfill.state"
        let key = stateKey(in: statePath, anyShape: true)?.split(separator: " ") ?? []
        let state = key.count >= 3 && key[2] == "rebuild" ? key[0] + " " + key[1] : nil
        let marked = PipelineLoader.readText(marker).map { $0.trimmingCharacters(in: "\n") }
        guard let days = marked ?? state.map(String.init) else { return nil }
        var giveUp = marked == nil ? [] : [marker]
        if redis, state != nil { giveUp.append(statePath) }
        if !redis, access(output + ".rebuild", F_OK) == 0 { giveUp.append(output + ".rebuild") }
        return (days, marked == nil ? statePath : marker, giveUp)
    }

    /// `backfill.state`: the backfill's key and the last day done, then (`soFar`) what the
    /// days done gave.
    static func state(key: String, done: Day, _ so: SoFar) -> String {
        let numbers = { (days: [Day]) in days.map { String($0.number) }.joined(separator: ",") }
        return "\(key)|\(done.number)\nso far|\(so.worst.rawValue)|\(numbers(so.withoutInput))|\(numbers(so.missingFiles))|\(numbers(so.failing))\n"
    }

    /// What the days a stopped backfill did gave, from its state's second line (nothing in a
    /// state written before 2026-12-05).
    static func soFar(in statePath: String) -> SoFar {
        let lines = PipelineLoader.readText(statePath)?.split(separator: "\n") ?? []
        let parts = lines.count > 1 ? lines[1].split(separator: "|", omittingEmptySubsequences: false) : []
        guard parts.count >= 4, parts[0] == "so far", let raw = Int32(parts[1]), let worst = ExitStatus(rawValue: raw) else { return SoFar() }
        let days = { (text: Substring) in text.split(separator: ",").compactMap { Int($0).map(Day.init(number:)) } }
        return SoFar(worst: worst, withoutInput: days(parts[2]), missingFiles: days(parts[3]), failing: parts.count > 4 ? days(parts[4]) : [])
    }

    /// The key of the backfill a state file is of, or nil without one. A resume needs the
    /// whole `key|day`; `anyShape` takes the text before the first `|` of whatever the first
    /// line holds, as the guard of a stopped rebuild must (rv74c: a state edited or damaged to
    /// another shape let a night run in, which the resumed rebuild's switch put away).
    static func stateKey(in statePath: String, anyShape: Bool = false) -> String? {
        guard let state = PipelineLoader.readText(statePath), let first = state.split(separator: "\n").first else { return nil }
        if anyShape { return first.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) }
        let parts = first.split(separator: "|")
        return parts.count == 2 ? String(parts[0]) : nil
    }

    /// A state's key as its days and mode, and the Redis server's `run_id` it names, if any.
    static func split(stateKey: String) -> (key: String, server: String?) {
        guard let range = stateKey.range(of: " redis:") else { return (stateKey, nil) }
        return (String(stateKey[..<range.lowerBound]), String(stateKey[range.upperBound...]))
    }

    /// The server's `run_id` (`RunLock.stableRunID`); nil when it cannot be asked.
    static func serverRunID(_ url: RedisURL) -> String? {
        (try? RedisConnection(url: url)).flatMap(RunLock.stableRunID)
    }

    /// The index in `days` of the last day a state file of `key` says is done, or nil.
    static func lastDayDone(in statePath: String, key: String, days: [Day]) -> Int? {
        guard let state = PipelineLoader.readText(statePath) else { return nil }
        let parts = state.split(separator: "\n").first.map { $0.split(separator: "|") } ?? []
        guard parts.count == 2, parts[0] == key, let done = Int(parts[1]) else { return nil }
        return days.firstIndex { $0.number == done }
    }

    /// Runs `body` over a connection to `url` with the retries of every Redis fault; its
    /// answer, or the failure, is the message of a refusal; nil when all went well.
    static func redis(_ url: RedisURL, retry: RedisRetryPolicy, notice: RedisRetryNotice?,
                      _ body: (RedisConnection) throws(RedisError) -> String?) -> String? {
        var connection: RedisConnection?
        do {
            return try retry.run(url: url, connection: &connection, notice: notice, body)
        } catch {
            return error.message
        }
    }

    /// Refuses (exit 1) a database holding keys that are not this pipeline's, naming up to three
    /// (and "..." when there are more), with what the rebuild would do to them and what to do;
    /// a user not allowed to look is warned.
    private func refuseForeignKeys(_ url: RedisURL, _ fateAndRemedy: String, warning: String, notice: RedisRetryNotice?) throws(PipelineError) {
        switch Self.foreignKeys(url, prefix: pipeline.sink.keyPrefix, retry: retry, notice: notice) {
        case .success(let foreign) where !foreign.isEmpty:
            throw PipelineError("database \(url.db) of \(url.redacted) holds keys that are not this pipeline's (\(foreign.prefix(3).map { "'\($0)'" }.joined(separator: ", "))\(foreign.count > 3 ? ", ..." : "")), and \(fateAndRemedy) (docs/operations.md)")
        case .success:
            break
        case .failure(let failure) where failure.message.contains("DB index is out of range"):
            // Nothing to warn of: the rebuild cannot use it (rv74a: a warning that FLUSHDB
            // empties it, then exit 3 naming a URL nobody wrote).
            throw PipelineError("database \(url.db) does not exist on that Redis (ERR DB index is out of range): a rebuild loads into a staging database, --staging-db N or by default the one after the live one; name one that exists (a Redis has databases 0 to 15 unless its databases setting says otherwise)")
        case .failure(let failure):
            report("  warning: cannot check database \(url.db) for keys that are not this pipeline's (\(failure.message)); \(warning)\n")
        }
    }

    /// Up to four keys of the database that are not the pipeline's (`RedisKeyLayout.owns`),
    /// found with SCAN: three to name, and whether there are more (rv73h: three were said as
    /// three and more).
    static func foreignKeys(_ url: RedisURL, prefix: String, retry: RedisRetryPolicy, notice: RedisRetryNotice?) -> Result<[String], SinkError> {
        let layout = RedisKeyLayout(prefix: prefix)
        var foreign: [String] = []
        let failure = redis(url, retry: retry, notice: notice) { c throws(RedisError) -> String? in
            foreign = []
            var cursor = "0"
            repeat {
                let reply = try c.command("SCAN", cursor, "COUNT", "1000")
                if let refused = refusal(reply, "SCAN", url) { return refused }
                guard case .array(let parts) = reply, parts.count == 2, case .string(let next) = parts[0], case .array(let keys) = parts[1] else {
                    return "SCAN on \(url.redacted): unexpected reply"
                }
                cursor = String(decoding: next, as: UTF8.self)
                for case .string(let key) in keys {
                    switch layout.owner(of: key) {
                    case .this: continue
                    case .other: break
                    case .thisUnlessACountOfRuns:
                        if try !RedisKeyLayout.holdsCountOfRuns(key, on: c) { continue }
                    }
                    foreign.append(String(decoding: key, as: UTF8.self))
                    if foreign.count == 4 { return nil }
                }
            } while cursor != "0"
            return nil
        }
        if let failure { return .failure(SinkError(failure)) }
        return .success(foreign)
    }

    /// One command, with the retries of every Redis fault: nil when done, else why not.
    static func send(_ url: RedisURL, _ words: [String], retry: RedisRetryPolicy, notice: RedisRetryNotice?) -> String? {
        redis(url, retry: retry, notice: notice) { c throws(RedisError) in
            try refusal(c.command(words.map { Array($0.utf8) }), words.prefix(2).joined(separator: " "), url)
        }
    }

    /// Redis's refusal of a command, as a message naming it; nil for any other reply.
    static func refusal(_ reply: RedisReply, _ what: String, _ url: RedisURL) -> String? {
        if case .error(let message) = reply { return "\(what) on \(url.redacted) failed: \(RedisError.advised(message))" }
        return nil
    }
}
