import FunnelCore

/// What a run did, for the end-of-run report on stderr and `--summary-json` (SPEC 9).
public struct RunSummary: Sendable {
    public struct FileSummary: Sendable {
        public var path: String
        public var kind: Pipeline.Source.Kind
        public var lines = 0
        /// Records of its lines handed on to sessions.
        public var kept = 0
        public var rejected = 0
        public var bytes: Int64 = 0
        public var damage: String?
        public var crc32: UInt = 0
        /// How the file compares with the last run that read it (from the manifest).
        public var seenBefore: String?
    }

    public var pipeline = ""
    /// The days the run read, as its command line gives them (`--date 2024-03-01`, `--from A
    /// --to B`), or empty: the summary's first line echoes the run.
    public var days = ""
    /// The first and last day the run was given (`--date yesterday` resolved), for
    /// `--summary-json`'s `days`: a monitor can tell which night a summary is of, and that
    /// no night was skipped (rv70c: a cron in local time skipped a day at a clock change,
    /// and no file said which day a run had taken). Nil without `--date` or `--from`.
    public var dayRange: (first: Day, last: Day)?
    public var sink = ""
    public var dryRun = false
    public var files: [FileSummary] = []
    /// Path patterns (with the date filled in) that matched no file.
    public var missingInputs: [String] = []
    public var linesRead = 0
    public var kept = 0
    public var filtered: [FilterReason: Int] = [:]
    /// Records folded into others when sessions were built: page views merged, duplicate
    /// event ids, events over the cap (`merged_page_view`, `duplicate_event`, `over_event_cap`),
    /// counted over all records of every visitor the run rebuilt, its stored ones included.
    /// Apart from `kept`, which counts this run's lines: until 2026-12-05 they were taken off
    /// `kept`, which went below zero on nights that rebuilt visitors with merges stored
    /// (`kept -4` of 1 line read).
    public var combined: [FilterReason: Int] = [:]
    /// Lines rejected, by reason: with `kept` and `filtered`, the lines read.
    public var rejected: [RejectReason: Int] = [:]
    /// Damage reported beside the lines (`RejectReason.isDamage`), by reason.
    public var damaged: [RejectReason: Int] = [:]
    public var sessions = 0
    /// Sessions not written because the visitor denied analytics consent.
    public var withheldSessions = 0
    /// Sessions of earlier runs removed because this run merged or withdrew them.
    public var deletedSessions = 0
    /// Sessions rebuilt (of every visitor the run touched); `sessions` counts those written.
    public var rebuiltSessions = 0
    /// Records the run's sessions were built from, counted at every build: a visitor built at
    /// two flushes counts its records twice, those read back from the history included. Not
    /// written out; what the tests read of the work a run repeats (`SessionStage`).
    var builtRecords = 0
    /// The most records one plan built sessions from (`HistoryPlanner.parts`): what a flush
    /// held at once. Not written out, like `builtRecords`.
    var largestPlanRecords = 0
    public var visitors = 0
    public var conversions = 0
    public var revenue = Amount.zero
    public var seconds = 0.0
    public var maxRejectRate = 0.01
    public var exitStatus = ExitStatus.success
    /// The signal that stopped the run before its end (`StopSignals`), whose process then
    /// exits with 128 + it: what `exit_status` says instead of `exitStatus`.
    public var signal: Int32?
    /// The sink failed part way: `sessions` counts those it confirmed (Redis may hold up to
    /// `unconfirmedSessions` more, sent before the failure), and visitors, conversions and revenue were not counted
    /// (the text said "visitors 0, conversions 0" after thousands of sessions; a review).
    public var cutShortBySink = false
    /// With `cutShortBySink`: the most sessions of the batch that failed that may have reached
    /// the sink unconfirmed (rv70d: "a few more" were 311).
    public var unconfirmedSessions = 0
    /// Whether the run was refused because Redis holds less than the output folder's runs
    /// loaded (`Runner`): a backfill then points to the rebuild, not to the resume.
    public var redisLostRuns = false
    /// The process's exit status: `exitStatus`, or 128 + the signal that stopped the run.
    /// Names the run's days (`days`, `dayRange`) from the days it was given.
    public mutating func setDays(_ given: [Day]) {
        guard let first = given.first, let last = given.last else { return }
        days = first == last ? "--date \(first)" : "--from \(first) --to \(last)"
        dayRange = (first, last)
    }

    public var exitCode: Int32 { signal.map { 128 + $0 } ?? exitStatus.rawValue }
    /// Why the exit status is not 0, in words.
    public var problems: [String] = []
    /// What the run did but an operator should know, in words; the exit status stays 0.
    public var warnings: [String] = []

    public var rejectedTotal: Int { rejected.values.reduce(0, +) }
    public var filteredTotal: Int { filtered.values.reduce(0, +) }
    public var combinedTotal: Int { combined.values.reduce(0, +) }
    public var rejectRate: Double { linesRead == 0 ? 0 : Double(rejectedTotal) / Double(linesRead) }
    public var linesPerSecond: Double { seconds > 0 ? Double(linesRead) / seconds : 0 }

    /// The human report, a few aligned lines.
    public var text: String {
        func counts<Key: RawRepresentable & Comparable>(_ table: [Key: Int]) -> String where Key.RawValue == String {
            table.isEmpty ? "" : "  (" + table.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ") + ")"
        }
        var lines: [String] = []
        lines.append("funnel run \(pipeline)\(days.isEmpty ? "" : " " + days)\(dryRun ? " (dry run: nothing written)" : "")")
        lines.append("  inputs       \(files.count) \(files.count == 1 ? "file" : "files"), \(files.reduce(0) { $0 + $1.bytes }) bytes")
        for missing in missingInputs { lines.append("  missing      \(missing) matched no file") }
        // The files read before, the first few by name: a re-run of a day of 10,000 files
        // printed 10,000 lines (a review). `--summary-json` keeps every file's.
        let seenBefore = files.filter { $0.seenBefore != nil }
        for file in seenBefore.prefix(Self.filesNamed) { lines.append("  repeated     \(file.path): \(file.seenBefore!)") }
        if seenBefore.count > Self.filesNamed {
            let rest = seenBefore.dropFirst(Self.filesNamed)
            let unchanged = rest.filter { $0.seenBefore == "read before, unchanged" }.count
            lines.append("  repeated     and \(rest.count) more files read before (\(unchanged) unchanged, \(rest.count - unchanged) grown or changed; --summary-json lists each)")
        }
        lines.append("  lines read   \(linesRead)")
        lines.append("  kept         \(kept)")
        lines.append("  filtered     \(filteredTotal)\(counts(filtered))")
        if !combined.isEmpty { lines.append("  combined     \(combinedTotal)\(counts(combined))  in the rebuilt visitors' sessions") }
        lines.append("  rejected     \(rejectedTotal)\(counts(rejected))  rate \(percent(rejectRate)), limit \(percent(maxRejectRate))")
        if !damaged.isEmpty { lines.append("  damaged      \(damaged.values.reduce(0, +))\(counts(damaged))  in rejects.ndjson, apart from the lines") }
        if cutShortBySink {
            lines.append("  sessions     \(sessions) confirmed written before the sink failed (up to \(unconfirmedSessions) more, of the batch that failed, may have reached it); visitors, conversions and revenue not counted")
        } else {
            lines.append("  sessions     \(sessions) \(dryRun ? "made (dry run: none written)" : "written") (\(rebuiltSessions) rebuilt, \(deletedSessions) deleted)  visitors \(visitors)\(withheldSessions > 0 ? "  withheld (analytics consent denied) \(withheldSessions)" : "")")
            lines.append("  conversions  \(conversions)  revenue \(revenue)")
        }
        lines.append("  sink         \(sink)")
        lines.append("  time         \(format(seconds, 2)) s, \(Int(linesPerSecond)) lines/s")
        for warning in warnings { lines.append("  warning      \(warning)") }
        for problem in problems { lines.append("  problem      \(problem)") }
        lines.append("  exit status  \(exitCode)")
        // File names and values from input, on a terminal (a file named with ESC or a line
        // break was printed raw; a review).
        return lines.map(TerminalText.oneLine).joined(separator: "\n") + "\n"
    }

    /// Files named one by one in the text's "repeated" lines; the rest are counted.
    static let filesNamed = 10

    /// The same facts as one JSON object, keys in a fixed order.
    public var json: [UInt8] {
        var out: [UInt8] = []
        func key(_ name: String) {
            if out.last != UInt8(ascii: "{") { out.append(UInt8(ascii: ",")) }
            JSONText.appendString(name, to: &out)
            out.append(UInt8(ascii: ":"))
        }
        func table<Key: RawRepresentable & Comparable>(_ values: [Key: Int]) where Key.RawValue == String {
            out.append(UInt8(ascii: "{"))
            for (index, entry) in values.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONText.appendString(entry.key.rawValue, to: &out)
                out.append(contentsOf: ":\(entry.value)".utf8)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "{"))
        key("pipeline"); JSONText.appendString(pipeline, to: &out)
        key("sink"); JSONText.appendString(sink, to: &out)
        key("dry_run"); out.append(contentsOf: (dryRun ? "true" : "false").utf8)
        key("days")
        if let dayRange {
            out.append(contentsOf: "{\"from\":\"\(dayRange.first)\",\"to\":\"\(dayRange.last)\"}".utf8)
        } else {
            out.append(contentsOf: "null".utf8)
        }
        key("files")
        out.append(UInt8(ascii: "["))
        for (index, file) in files.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "{"))
            key("path"); JSONText.appendString(file.path, to: &out)
            key("kind"); JSONText.appendString(file.kind.rawValue, to: &out)
            key("bytes"); out.append(contentsOf: String(file.bytes).utf8)
            key("lines"); out.append(contentsOf: String(file.lines).utf8)
            key("kept"); out.append(contentsOf: String(file.kept).utf8)
            key("rejected"); out.append(contentsOf: String(file.rejected).utf8)
            key("crc32"); out.append(contentsOf: String(file.crc32).utf8)
            if let damage = file.damage { key("damage"); JSONText.appendString(damage, to: &out) }
            if let seen = file.seenBefore { key("seen_before"); JSONText.appendString(seen, to: &out) }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
        key("missing_inputs")
        out.append(UInt8(ascii: "["))
        for (index, missing) in missingInputs.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONText.appendString(missing, to: &out)
        }
        out.append(UInt8(ascii: "]"))
        key("lines_read"); out.append(contentsOf: String(linesRead).utf8)
        key("kept"); out.append(contentsOf: String(kept).utf8)
        key("filtered"); table(filtered)
        key("combined"); table(combined)
        key("rejected"); table(rejected)
        key("damaged"); table(damaged)
        key("reject_rate"); out.append(contentsOf: format(rejectRate, 6).utf8)
        key("sessions"); out.append(contentsOf: String(sessions).utf8)
        key("rebuilt_sessions"); out.append(contentsOf: String(rebuiltSessions).utf8)
        key("deleted_sessions"); out.append(contentsOf: String(deletedSessions).utf8)
        key("withheld_sessions"); out.append(contentsOf: String(withheldSessions).utf8)
        key("visitors"); out.append(contentsOf: String(visitors).utf8)
        key("conversions"); out.append(contentsOf: String(conversions).utf8)
        key("revenue"); out.append(contentsOf: revenue.description.utf8)
        key("seconds"); out.append(contentsOf: format(seconds, 3).utf8)
        key("lines_per_second"); out.append(contentsOf: String(Int(linesPerSecond)).utf8)
        key("exit_status"); out.append(contentsOf: String(exitCode).utf8)
        for (name, list) in [("warnings", warnings), ("problems", problems)] {
            key(name)
            out.append(UInt8(ascii: "["))
            for (index, text) in list.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONText.appendString(text, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(contentsOf: "}\n".utf8)
        return out
    }

    private func percent(_ value: Double) -> String { format(value * 100, 2) + "%" }

    private func format(_ value: Double, _ places: Int) -> String { Self.fixed(value, places) }

    /// Fixed-point text without Foundation's formatters.
    static func fixed(_ value: Double, _ places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int64((value * scale).rounded())
        let whole = scaled / Int64(scale)
        let fraction = String(scaled % Int64(scale))
        return places == 0 ? String(whole) : "\(whole).\(String(repeating: "0", count: places - fraction.count))\(fraction)"
    }

    /// The summary of a run that stopped with a pipeline error (exit 1) before it read
    /// anything: what `--summary-json` and `--metrics-file` say of it, so a monitor reading
    /// them is not left with the previous run's success.
    /// What `--summary-json` and `--metrics-file` say of a run `signal` stopped (`StopSignals`).
    public static func stopped(pipeline: String, signal: Int32) -> RunSummary {
        var summary = failed(pipeline: pipeline, problem: "stopped by \(StopSignals.name(signal)) before its end: run it again, the same command (docs/operations.md, \"After a failed night\")")
        summary.signal = signal
        return summary
    }

    public static func failed(pipeline: String, problem: String, missingInputs: [String] = [], days: [Day] = []) -> RunSummary {
        var summary = RunSummary()
        summary.pipeline = pipeline
        summary.setDays(days)
        summary.exitStatus = .pipelineError
        summary.problems = [problem]
        summary.missingInputs = missingInputs
        return summary
    }

}
