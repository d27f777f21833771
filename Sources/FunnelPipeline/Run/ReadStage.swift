import FunnelCore
import FunnelReaders
import FunnelTransform
import FunnelWriters
#if canImport(Glibc)
import Glibc
#endif

/// Reads a run's input files on a thread of its own and hands the kept, normalized records to
/// the sessionizer in batches through a bounded queue, so that decompression and parsing
/// overlap with sessionizing and writing, and a fast reader cannot fill memory.
///
/// Files of the same day are read together and merged by event time: each file is roughly in
/// time order (a web server writes as requests end), and the merged stream lets the runner
/// close a session once the stream has passed its timeout instead of holding every record
/// until the end. Disorder within a file is passed on, except that a record far ahead of its
/// file waits alone instead of holding its file back (`AheadOrder`); sessions never depend on
/// read order, only on how many times a visitor has to be rebuilt.
final class ReadStage: @unchecked Sendable {
    /// What reading found, besides the records: the run summary's input half.
    struct Tally {
        var files: [RunSummary.FileSummary]
        var rejected: [RejectReason: Int] = [:]
        /// Lines dropped on purpose, by reason, counted at the reason's place in `reasons`: a
        /// third of the bench's lines are dropped, and a table hashed the reason for each.
        private(set) var filteredCounts = [Int](repeating: 0, count: Self.reasons.count)
        private static let reasons = FilterReason.allCases
        var kept = 0
        var linesRead = 0
        var problems: [String] = []
        /// Files read before whose earlier reading the history keeps and this one does not
        /// replace (`Manifest.Seen.conflict`), each with why.
        var changedInputs: [(path: String, why: String)] = []
        /// The files read before by a version that kept no name for their lines (`Manifest.Seen.unnamedBefore`).
        var unnamedBefore: [String] = []
        /// Records kept that are dated after `futureLimit` (the first: its file and time).
        var future = Sightings()
        /// Access-log records of a daily file dated before `pastLimit`.
        var past = Sightings()
        /// Events kept without a numeric property that was no number (`LineSource`).
        var unreadNumbers = Sightings()
        /// Events named as one of funnel's in another case or with spaces around it, kept as
        /// custom events (`otherCaseName`).
        var otherCaseEvents = Sightings()
        /// Records and page views whose event, session, visitor or user id was a placeholder
        /// (`Identifier.isPlaceholder`), read as no id.
        var placeholderIDs = Sightings()
        /// Files whose events held none of a `fields` mapping's path (the first: with the
        /// mappings it lacked).
        var filesWithoutMappedPaths = Sightings()
        /// Purchases with a value, by the currency they name (blanks trimmed, in capitals; at
        /// most `currencyKinds` of them, the rest as `"other"`): funnel converts no amount, so
        /// purchases in more than one are summed as if they were one, which the run says (a
        /// review: EUR and USD donations summed without a word).
        var purchaseCurrencies: [String: Int] = [:]
        static let currencyKinds = 16

        mutating func notePurchase(currency: String) {
            let code = String(currency[...].trimming(\.isWhitespace).uppercased().prefix(12))
            guard !code.isEmpty else { return }
            let known = purchaseCurrencies[code] != nil || purchaseCurrencies.count < Self.currencyKinds
            purchaseCurrencies[known ? code : "other", default: 0] += 1
        }
        /// Why an input could not be opened for want of descriptors, when one could not: the
        /// run stops (exit 3; until 2026-12-05 it went on without the file, exit 2, as if the
        /// file were damaged; a review).
        var outOfDescriptors: String?
        /// Access-log files most of whose sampled lines have text after the format's end (the
        /// first: the first such line of the first of them; `LineSource.pastFormat`).
        var pastFormatFiles = Sightings()
        /// Files whose last line had no line end and was rejected: most often a copy not
        /// finished (a review: half a day's log lost to a cut copy, exit 0, one reject).
        var cutLastLines: [String] = []
        /// The last line of each file rejected for what a cut gives (`format_mismatch`,
        /// `bad_json`): a whole line rejected for another reason is no cut (a review).
        var lastRejectedLine: [Int: Int] = [:]
        var damaged = false
        var rejectFailure: SinkError?

        mutating func countFiltered(_ reason: FilterReason) {
            filteredCounts[Self.reasons.firstIndex(of: reason)!] += 1
        }

        /// The reasons seen, with their counts.
        var filtered: [FilterReason: Int] {
            var counts: [FilterReason: Int] = [:]
            for (reason, count) in zip(Self.reasons, filteredCounts) where count > 0 { counts[reason] = count }
            return counts
        }
    }

    /// At most this many files are open at once. A day of more than `slidingFrom` files opens
    /// each as the merge reaches its first record and a slot is free (`readMerged`), with
    /// small buffers (about 0.2 MiB a file, `LineSource.smallBuffers`). 16 until 2026-12-05
    /// (15 servers' logs and an events file were read in two passes through the day), then 64
    /// with full buffers: a day of 64 servers' logs, each spanning the day, filled the window,
    /// and the rest came late (a review: 9.85 s of CPU and 319 MB, against 5.65 s and 251 MB
    /// for 62 servers).
    static let maxOpenFiles = 256
    /// A day of more files than this is ordered by the time of each file's first records and
    /// read through a window that slides along the day, each file with small buffers; a day
    /// of fewer opens them all at once, with full buffers.
    static let slidingFrom = 16
    /// Descriptors the process held when it started (`funnel` asks first thing): those a
    /// parent left open beyond the standard three take from the run's room (a review: 20
    /// inherited under `ulimit -n 90` failed a 62-server day). Counted in /proc/self/fd; 3
    /// where that cannot be read.
    static let descriptorsAtStart: Int = {
        guard let folder = opendir("/proc/self/fd") else { return 3 }
        defer { closedir(folder) }
        var count = 0
        while let entry = readdir(folder) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != [0x2E] && name != [0x2E, 0x2E] { count += 1 }
        }
        return max(3, count - 1)  // Less the folder's own.
    }()

    /// `maxOpenFiles`, or fewer under a low limit of open descriptors (`ulimit -n`), less
    /// those inherited (`descriptorsAtStart` beyond 3).
    static let openFileLimit: Int = {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(Int32.max) else { return maxOpenFiles }
        return openFiles(underDescriptorLimit: Int(clamping: limit.rlim_cur), atStart: descriptorsAtStart)
    }()

    /// Input files open at once under a limit of `descriptors`: what is left beyond 32 for the
    /// rest of the run, at least 1, at most `maxOpenFiles`. A run holds at most about 17
    /// descriptors of its own (the standard streams, the lock, the history and its journal,
    /// the outputs' temporary files, a pipe, and the scratch's files: one per level of each
    /// sort), however large its day or however many of its files come late (counted from
    /// /proc/PID/fd on days of 62 and 200 servers' logs). Files past it wait for a slot
    /// rather than fail to open. (The first form left 64 and took at least 4: under
    /// `ulimit -n 16` 77 files of 1,002 failed to open; the second left 24 and the third
    /// took half of what was beyond 48, while the scratch kept a file per sorted run and a
    /// run's own need grew with its data: up to 69; reviews.)
    /// `atStart`: the descriptors the process held when it started (`descriptorsAtStart`);
    /// those beyond the standard three are not the run's to use.
    static func openFiles(underDescriptorLimit descriptors: Int, atStart: Int = 3) -> Int {
        min(maxOpenFiles, max(1, descriptors - 32 - max(0, atStart - 3)))
    }
    /// The buffers the open files of a day of many may hold before another is opened.
    static let windowBytes = 64 << 20

    /// Whether another file of a day may be opened: while fewer than `slidingFrom` are open,
    /// whenever `slots` allows; past that, only while the open ones hold less than
    /// `windowBytes` (`heldBytes`, asked only then). A file's buffer grows to its longest
    /// line, up to twice `max_line_length`: a review's 256 files each with lines of 1 MB held
    /// 2.2 GB under a limit of 4 MiB. Held bytes, not the limit: bounding the window by the
    /// limit (2aef8a4) made a day of 62 servers 2.6 times slower under a limit raised "just
    /// in case", with no long line in it (a review).
    static func roomForAnother(open: Int, slots: Int, heldBytes: () -> Int) -> Bool {
        guard open < slots else { return false }
        return open < slidingFrom || heldBytes() < windowBytes
    }

    /// Records handed over at a time; fewer when the run flushes after fewer records.
    let batchSize: Int

    let queue = BoundedQueue<[StreamRecord]>(capacity: 4)
    private let files: [InputFile]
    /// `InputFile.positionPrefix` of each file, made once, as a string and as bytes.
    private let positionPrefixes: [String]
    private let positionPrefixBytes: [[UInt8]]
    private var sources: [LineSource?]
    private let pipeline: Pipeline
    private let transformer: Transformer
    private let filter: RecordFilter
    /// `filter`'s request checks, made once: access-log lines they drop never become records.
    private let requestFilter: AccessLogParser.RequestFilter
    private let rejects: RejectWriter?
    private var progress: Progress
    private(set) var manifest: Manifest?
    private var tally: Tally
    private var thread: WorkerThread?
    /// `take`, made once (a closure made per line would be allocated per line), and what it
    /// leaves for `nextRecord`: the file it reads, the record it made or the reason it dropped
    /// the line.
    private var takePageView: LineSource.PageViewTaker?
    /// Access-log lines that took the byte path (for tests).
    private(set) var takenLines = 0
    /// Per file, the time (epoch milliseconds) after which its records are counted
    /// (`Tally.future`): a day past the end of the last day its pattern fills alike
    /// (`InputFile.lastDay`); none for a file of no day (a pattern without `{date}`, an
    /// `--input` file no pattern names), which may hold any day (rv73j: every record of such
    /// files was said under a range of days). Kept all the same (a clock wrong at the source
    /// makes a session in its own time); until 2026-12-06 a record of 2099 in a 2024 file was
    /// kept without a word (rv70c).
    private let futureLimits: [Int64]
    /// Per file, the time before which an access-log record of a daily file is said: the
    /// start of the day before the file's (rv75c: lines dated five days before their file's
    /// day were kept without a word, and every visitor got a session more). A server writes
    /// a line when it answers, so such a line is a clock set wrong or another day's file under
    /// this day's name; client events may come late and are not said. `.min` for others.
    private let pastLimits: [Int64]
    /// Records set aside by `AheadOrder` as far ahead of their file (for tests).
    private(set) var setAside = 0
    private var fileIndex = 0
    /// Records kept of each file, for the manifest (`Manifest.Entry.kept`).
    private var keptOfFile: [Int]
    private var taken: StreamRecord?
    private var takenFilter: FilterReason?

    /// `sources` are the files' readers, built before the run starts so that a bad format
    /// stops it before any output. `bytePath` false makes every access-log line and client
    /// event a record (for tests, which compare the two).
    init(sources: [LineSource], pipeline: Pipeline, configuration: TransformConfiguration, rejects: RejectWriter?,
         manifest: Manifest?, progress: Progress, batchSize: Int = 4096, bytePath: Bool = true) {
        self.batchSize = max(1, batchSize)
        files = sources.map(\.file)
        positionPrefixes = files.map(\.positionPrefix)
        futureLimits = files.map { $0.lastDay.map { Int64($0 + 2) * 86_400_000 } ?? .max }
        pastLimits = files.map { file in
            guard file.source.kind == .accessLog, let day = file.day, file.lastDay == day else { return .min }
            return Int64(day - 1) * 86_400_000
        }
        positionPrefixBytes = positionPrefixes.map { Array($0.utf8) }
        self.sources = sources
        self.pipeline = pipeline
        let filter = RecordFilter(botPatterns: pipeline.botPatterns, excludedPaths: pipeline.excludedPaths)
        self.filter = filter
        requestFilter = { filter.requestReason(isGET: $0, status: $1, path: $2) }
        transformer = Transformer(configuration: configuration, agents: filter.agents)
        self.rejects = rejects
        self.manifest = manifest
        self.progress = progress
        tally = Tally(files: sources.map { $0.file }.map { RunSummary.FileSummary(path: $0.path, kind: $0.source.kind) })
        keptOfFile = [Int](repeating: 0, count: sources.count)
        if bytePath { takePageView = { [unowned self] view, line in take(view, line: line) } }
    }

    /// Starts reading; batches arrive on `queue`, which is closed at the end. Throws when the
    /// reader's thread cannot be started.
    func start() throws(SinkError) {
        thread = try WorkerThread(name: "funnel-read") { [self] in
            for group in Self.mergeGroups(files, firstTime: { Self.firstTime(of: files[$0], maxLineLength: pipeline.maxLineLength) }) {
                guard readMerged(group.files, firstTimes: group.firstTimes) else { break }
            }
            progress.finish()
            queue.close()
        }
    }

    /// Waits for the reader (after `queue` gave nil, or after closing it to stop early).
    func finish() -> (Tally, Manifest?) {
        thread?.join()
        return (tally, manifest)
    }

    /// The files to read together, by index: the files of one day (or of no day), in day
    /// order. A day of more than `slidingFrom` files (or `openFileLimit`, when lower) comes
    /// ordered by the time of each file's first records (`firstTime`, asked only then), with
    /// those times, and is merged in a window of at most `openFileLimit` open files that
    /// slides along the day (`readMerged`): files
    /// that each hold a stretch of the day (a dump a minute) are read in one pass through
    /// it. Until 2026-12-05 such a day was read in turns of 16 files in their listed order,
    /// each turn going through the whole day again and rebuilding the sessions the last one
    /// flushed: twice the CPU from the 17th file of a day (a review).
    static func mergeGroups(_ files: [InputFile], firstTime: (Int) -> Int64? = { _ in nil }) -> [(files: [Int], firstTimes: [Int64]?)] {
        var byDay: [Int: [Int]] = [:]
        for (index, file) in files.enumerated() { byDay[file.day ?? Int.min, default: []].append(index) }
        return byDay.keys.sorted().map { day in
            let indices = byDay[day]!
            guard indices.count > min(slidingFrom, openFileLimit) else { return (indices, nil) }
            let ordered = zip(indices, indices.map { firstTime($0) ?? Int64.min }).sorted { ($0.1, $0.0) < ($1.1, $1.0) }
            return (ordered.map(\.0), ordered.map(\.1))
        }
    }

    /// When a file's records begin: the median time of its first records (at most
    /// `firstRecords` of its first thousand lines), read from a reader of its own that is then
    /// dropped (the file is read again in its turn), with small buffers; nil for stdin, a
    /// file that is not a regular one, or no record within its first thousand lines. The median, not the first
    /// time: a straggler at a file's head (a record hours older than the rest) opened the
    /// file hours early, and it held a slot of the window all that while (a review: 5.63 ->
    /// 8.14 s of CPU); the straggler now comes late, as any late record.
    static func firstTime(of file: InputFile, maxLineLength: Int) -> Int64? {
        // Only a regular file can be read twice: a pipe or FIFO given as `--input` (which
        // `notRegular` does not mark) lost what this read took, or hung the run at its second
        // opening (a review; until 2026-12-05).
        var info = stat()
        guard file.path != "-", file.notRegular == nil, stat(file.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG,
              var source = try? LineSource(file: file) else { return nil }
        source.smallBuffers = true
        var times: [Int64] = []
        for _ in 0..<1000 where times.count < Self.firstRecords {
            guard let item = source.next(maxLineLength: maxLineLength) else { break }
            if case .record(let record, _, _) = item { times.append(record.timestamp) }
        }
        return Self.median(times)
    }

    /// Records of a file's head whose median time orders the files of a day of many files.
    static let firstRecords = 15

    /// The middle of `times` (the later of the two middles of an even count); nil when empty.
    static func median(_ times: [Int64]) -> Int64? {
        times.isEmpty ? nil : times.sorted()[times.count / 2]
    }

    /// Reads the files of `group` merged by time; false when the queue was closed (the run
    /// stops). With `firstTimes` (a day of more than `slidingFrom` files, in the order of
    /// those times) a file is opened, with small buffers, when the merge reaches its first
    /// records and a slot is free (one of the open files has ended); until a slot is free it
    /// waits, and its earlier records come late, as a file far out of order does.
    private func readMerged(_ group: [Int], firstTimes: [Int64]?) -> Bool {
        if firstTimes != nil {
            for index in group { self.sources[index]?.smallBuffers = true }
        }
        // Per slot (an open file): its reader, the file's index, its next record, whether it
        // has one, and its order. Lists of plain values: a list of optionals copied each head
        // it compared and the one it took (a retain and release of its group and bytes), and
        // assigned them through the runtime's generic path: 56 million instructions of the
        // bench's S run (4,013.6 M -> 3,957.1 M).
        var sources: [LineSource] = []
        var slotFile: [Int] = []
        var heads: [StreamRecord] = []
        var live: [Bool] = []
        var orders: [AheadOrder] = []
        var next = 0  // the first file of `group` not yet opened
        let fresh = AheadOrder(tolerance: pipeline.sessions.timeoutMillis)
        var open = 0  // files open (live slots)
        var taken = 0  // records taken from the merge
        var askAgainAt = 0  // when the buffers held were too many: the record to ask again at
        /// Opens the next file into a free slot; false when there is no room for it.
        func openNext() -> Bool {
            guard taken >= askAgainAt else { return false }
            let room = Self.roomForAnother(open: open, slots: Self.openFileLimit) {
                var held = 0
                for slot in live.indices where live[slot] { held += sources[slot].heldBytes }
                return held
            }
            guard room else {
                // Asked again after a batch's worth of records, not at each (a sum of up to
                // 256 files' buffers).
                if open < Self.openFileLimit { askAgainAt = taken + 4096 }
                return false
            }
            let slot: Int
            if let free = live.firstIndex(of: false) {
                slot = free
                setAside += orders[slot].parkedCount
            } else {
                slot = live.count
                sources.append(self.sources[group[next]]!)
                slotFile.append(0); heads.append(.empty); live.append(false); orders.append(fresh)
            }
            let index = group[next]
            next += 1
            sources[slot] = self.sources[index]!
            self.sources[index] = nil
            slotFile[slot] = index
            orders[slot] = fresh
            progress.startFile(index, path: files[index].path)
            let head = orders[slot].next { nextRecord(&sources[slot], index: index) }
            live[slot] = head != nil
            heads[slot] = head ?? .empty
            if head != nil { open += 1 }
            return true
        }
        var batch: [StreamRecord] = []
        batch.reserveCapacity(batchSize)
        while true {
            var best = -1
            for slot in heads.indices where live[slot] {
                if best < 0 || heads[slot].timestamp < heads[best].timestamp { best = slot }
            }
            // The next file joins when the merge has reached its first record (any time when
            // no time is known), or when nothing else is left to read.
            if next < group.count, best < 0 || firstTimes.map({ $0[next] <= heads[best].timestamp }) ?? true, openNext() { continue }
            guard best >= 0 else { break }
            batch.append(exchange(&heads[best], with: .empty))
            taken += 1
            if let record = orders[best].next({ nextRecord(&sources[best], index: slotFile[best]) }) {
                heads[best] = record
            } else {
                live[best] = false
                open -= 1
                askAgainAt = 0
            }
            if batch.count == batchSize {
                guard queue.push(batch) else {
                    // Stopped by a failing sink: the summary counts what was read so far (until
                    // 2026-12-05 a file cut off this way counted 0 lines and 0 bytes).
                    for slot in live.indices where live[slot] {
                        tally.files[slotFile[slot]].lines = sources[slot].linesSoFar
                        tally.files[slotFile[slot]].bytes = sources[slot].bytesSoFar
                        tally.linesRead += sources[slot].linesSoFar
                    }
                    return false
                }
                batch.removeAll(keepingCapacity: true)
            }
        }
        setAside += orders.reduce(0) { $0 + $1.parkedCount }
        return batch.isEmpty || queue.push(batch)
    }

    /// The file's next kept record, normalized; counts everything skipped on the way. At the
    /// file's end, completes its summary and returns nil.
    ///
    /// An access-log line that needs no decoding is never made a `Record`: its fields go from
    /// the line's bytes to the encoding (`Transformer.encode(_:userAgent:positionPrefix:line:)`,
    /// the same bytes the record would give), through the same checks in the same order. One
    /// the byte path declines (an identity to reject, an e-mail address as visitor id, bytes
    /// outside ASCII) is made a record as before.
    @inline(__always)
    private func notingFuture(_ record: StreamRecord, index: Int) -> StreamRecord {
        if record.timestamp > futureLimits[index] {
            tally.future.note(first: "\(files[index].path), \(SessionInspector.utc(record.timestamp))")
        } else if record.timestamp < pastLimits[index] {
            tally.past.note(first: "\(files[index].path), \(SessionInspector.utc(record.timestamp))")
        }
        return record
    }

    private func nextRecord(_ source: inout LineSource, index: Int) -> StreamRecord? {
        fileIndex = index
        while let item = source.next(maxLineLength: pipeline.maxLineLength, requestFilter: requestFilter, pageView: takePageView) {
            if progress.tick(file: index) { progress.read(source.bytesSoFar, ofFile: index) }
            // Consumed, so that the record is the only owner of its fields and setting its
            // position and normalizing it change them in place instead of copying them.
            switch consume item {
            case .taken:
                if let reason = takenFilter {
                    takenFilter = nil
                    tally.countFiltered(reason)
                    continue
                }
                tally.kept += 1
                keptOfFile[index] += 1
                takenLines += 1
                return taken.take().map { notingFuture($0, index: index) }
            case .blank:
                tally.countFiltered(.blankLine)
            case .skip(let reason):
                tally.countFiltered(reason)
            case .reject(let reject):
                recordReject(reject, index: index)
            case .record(var record, let number, let raw):
                // An access-log record's request passed `requestFilter` in the parser (a client
                // event has none): its agent is left to check, and a client page view's path.
                if let reason = filter.reasonAfterRequest(record) {
                    tally.countFiltered(reason)
                    continue
                }
                filter.withoutRelayAgent(&record)
                if let placeholder = IdentityRule.withoutPlaceholders(&record) {
                    tally.placeholderIDs.note(first: "\(files[index].path) line \(number), \(placeholder)")
                }
                if let (reason, detail) = IdentityRule.violation(record) {
                    recordReject(Reject(source: files[index].path, line: number, reason: reason, raw: raw, detail: detail), index: index)
                    continue
                }
                // (A name the source's `event_names` gives is said when the file loads.)
                if let named = Self.otherCaseName(record.event), !files[index].source.eventNames.values.contains(record.event) {
                    tally.otherCaseEvents.note(first: "\(files[index].path) line \(number), \"\(record.event.prefix(40))\" for \(named)")
                }
                if record.event == "Purchase", record.properties.value != nil, let currency = record.properties.currency {
                    tally.notePurchase(currency: currency)
                }
                record.position = RecordPosition.make(prefix: positionPrefixes[index], line: number)
                tally.kept += 1
                keptOfFile[index] += 1
                return notingFuture(StreamRecord(transformer.normalize(consume record)), index: index)
            }
        }
        let file = files[index]
        tally.files[index].lines = source.lines
        tally.files[index].kept = keptOfFile[index]
        tally.files[index].bytes = source.bytes
        tally.files[index].crc32 = source.checksum
        progress.read(.max, ofFile: index)
        let reading = Manifest.Reading(bytes: source.bytes, crc32: source.checksum, contentBytes: source.contentBytes,
                                       contentCRC32: source.contentChecksum, prefixCRC32: source.prefixChecksum, kept: keptOfFile[index])
        // A file that could not be opened was not read: the manifest does not list it (until
        // 2026-12-05 it did, with 0 bytes, and once the file could be opened the next run
        // called it "read before with 0 bytes, now 18206: grown since").
        if !source.openFailed, let seen = manifest?.record(file, reading, settings: ReadingSettings.fingerprints(pipeline, file), now: Int64(time(nil))) {
            tally.files[index].seenBefore = seen.text
            if let conflict = seen.conflict { tally.changedInputs.append((file.path, conflict)) }
            if seen.unnamedBefore { tally.unnamedBefore.append(file.path) }
        }
        tally.linesRead += source.lines
        let unfound = source.unfoundMappings
        if !unfound.isEmpty {
            tally.filesWithoutMappedPaths.note(first: "\(file.path): " + unfound.map { "\($0.target) from \($0.path)" }.joined(separator: ", "))
        }
        if source.endsWithoutLineEnd, source.damage == nil, tally.lastRejectedLine[index] == source.lines {
            tally.cutLastLines.append("\(file.path), line \(source.lines)")
        }
        if source.mostLinesPastFormat { tally.pastFormatFiles.note(first: "\(file.path), line \(source.pastFormat.firstLine)") }
        if source.unreadNumbers > 0 { tally.unreadNumbers.note(source.unreadNumbers, first: source.firstUnreadNumber.map { "\(file.path) \($0)" }) }
        if source.outOfDescriptors {
            // The run stops with this alone: no reject or problem for each file after it.
            if tally.outOfDescriptors == nil {
                tally.outOfDescriptors = "\(source.damage?.message ?? file.path): the run stopped and wrote nothing (raise the limit of open files, ulimit -n; 1024 is usual: a run holds its input files and about 17 of its own, \(Self.descriptorsAtStart) were open when it started)"
            }
            return nil
        }
        if let damage = source.damage {
            tally.files[index].damage = damage.message
            recordReject(Reject(source: file.path, line: source.lines + 1, reason: source.openFailed ? .unreadable : .gzipDamaged,
                                raw: damage.tail, detail: damage.message), index: index)
            tally.problems.append("\(file.path): \(damage.message)")
            tally.damaged = true
        }
        return nil
    }

    /// `nextRecord`'s byte path for an access-log line of file `fileIndex` (see there): true
    /// when it took the line, leaving what it made in `taken` or why it dropped it in
    /// `takenFilter`.
    private func take(_ view: PageViewFields, line: Int) -> Bool {
        if view.origin == .client { return takeClient(view, line: line) }
        let (reason, userAgent) = filter.agentReason(userAgent: view.userAgent)
        if let reason {
            takenFilter = reason
            return true
        }
        // Copied only for a placeholder (the copy was 30 instructions a line of S).
        let visitorPlaceholder = view.visitorID.map { Identifier.isPlaceholder(bytes: $0) } ?? false
        let sessionPlaceholder = view.sessionID.map { Identifier.isPlaceholder(bytes: $0) } ?? false
        guard !visitorPlaceholder && !sessionPlaceholder else {
            var cleared = view
            if visitorPlaceholder { notePlaceholder(&cleared.visitorID, "visitor cookie", line: line) }
            if sessionPlaceholder { notePlaceholder(&cleared.sessionID, "session cookie", line: line) }
            return encode(cleared, userAgent: userAgent, line: line)
        }
        return encode(view, userAgent: userAgent, line: line)
    }

    /// `take` for a client event (`NDJSONParser.clientEvent`): what the record path does with
    /// its record, in its order (a page view's `filters.exclude_paths`; the agent: a bot's
    /// event is dropped, but a purchase of a known visitor or session sent by a server's
    /// agent, which is then no device, `RecordFilter.isRelayedOutcome`; the ids; a purchase's
    /// currency for the summary). One with a placeholder id, or an id the record path refuses
    /// or hashes, is left to it (false): its warning and its reject name the event's fields.
    private func takeClient(_ view: PageViewFields, line: Int) -> Bool {
        if view.isPageView, view.located, filter.excludes(path: UnsafeBufferPointer(rebasing: view.target[view.targetParts.path])) {
            takenFilter = .excludedPath
            return true
        }
        let isPurchase = view.client.map { ClientEventDetails.same($0.event, "Purchase") } ?? false
        var (reason, userAgent) = filter.agentReason(userAgent: view.userAgent)
        if reason == .bot, isPurchase, view.visitorID != nil || view.sessionID != nil, filter.agents.isServerRelay(userAgent) {
            reason = nil
            userAgent = nil
        }
        if let reason {
            takenFilter = reason
            return true
        }
        func isPlaceholder(_ id: UnsafeBufferPointer<UInt8>?) -> Bool { id.map(Identifier.isPlaceholder(bytes:)) ?? false }
        if isPlaceholder(view.visitorID) || isPlaceholder(view.sessionID) || isPlaceholder(view.client?.eventID) { return false }
        guard encode(view, userAgent: userAgent, line: line) else { return false }
        if isPurchase, let properties = view.client?.properties, properties.value != nil, let currency = properties.currency {
            tally.notePurchase(currency: currency)
        }
        return true
    }

    /// `take`'s page view, its agent read, encoded for the stream unless its identity is
    /// refused.
    private func encode(_ view: PageViewFields, userAgent: String?, line: Int) -> Bool {
        guard IdentityRule.allows(view),
              let (group, data) = positionPrefixBytes[fileIndex].withUnsafeBufferPointer({
                  transformer.encode(view, userAgent: userAgent, positionPrefix: $0, line: line)
              })
        else { return false }
        taken = StreamRecord(group: group, timestamp: view.timestamp, data: data)
        return true
    }

    /// Clears a page view's id, a placeholder (`Identifier.isPlaceholder`), counting it.
    private func notePlaceholder(_ id: inout UnsafeBufferPointer<UInt8>?, _ name: String, line: Int) {
        guard let given = id else { return }
        tally.placeholderIDs.note(first: "\(files[fileIndex].path) line \(line), \(name) \"\(String(decoding: given, as: UTF8.self))\"")
        id = nil
    }

    private func recordReject(_ reject: Reject, index: Int) {
        tally.rejected[reject.reason, default: 0] += 1
        if reject.reason == .formatMismatch || reject.reason == .badJSON { tally.lastRejectedLine[index] = reject.line }
        // Damage is no line: the file's `damage` says it, and its `rejected` adds up with the
        // run's (until 2026-12-06 a cut gzip file counted 1 more; a review).
        if !reject.reason.isDamage { tally.files[index].rejected += 1 }
        guard let rejects, tally.rejectFailure == nil else { return }
        do throws(SinkError) { try rejects.write(reject) } catch { tally.rejectFailure = error }
    }

    /// funnel's event names, lower case, by that spelling.
    private static let foldedEventNames = Dictionary(uniqueKeysWithValues: PipelineLoader.funnelEventNames.map { ($0.lowercased(), $0) })

    /// The name of funnel's that an event's name is in another case or with spaces around it
    /// (`purchase`, ` Consent`), or nil: such an event is a custom one, no conversion and no
    /// consent answer, and a run says so (rv75e, rv75f: a `consent` denial and `purchase`
    /// donations were lost without a word). One of funnel's names as it is is matched first,
    /// by a comparison each (an access-log page view's `PageView` by one).
    static func otherCaseName(_ event: String) -> String? {
        if PipelineLoader.funnelEventNames.contains(event) { return nil }
        return foldedEventNames[String(Substring(event.lowercased()).trimming { $0.isWhitespace })]
    }
}
