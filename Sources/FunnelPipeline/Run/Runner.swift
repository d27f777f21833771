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
    /// for pipeline errors (exit 1).
    public func run() throws(PipelineError) -> RunSummary {
        let started = Self.now()
        var summary = RunSummary()
        summary.pipeline = pipeline.file
        summary.dryRun = options.dryRun
        summary.maxRejectRate = options.maxRejectRate ?? pipeline.maxRejectRate
        let (files, missing) = try InputPlan.files(pipeline: pipeline, options: options)
        summary.missingInputs = missing
        let sinkKind = options.sink ?? pipeline.sink.kind
        var output = options.output ?? pipeline.sink.output
        while output.count > 1 && output.hasSuffix("/") { output.removeLast() }

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
        let fieldLayout = configuration.fieldLayout
        let keyLayout = RedisKeyLayout(prefix: pipeline.sink.keyPrefix, hashTags: pipeline.sink.hashTags)

        // Build sinks before reading, so a bad URL or folder fails in a second, not after an hour.
        var sink: SessionSink?
        var rejects: RejectWriter?
        var history: HistoryStore = EphemeralHistoryStore()
        var lock: RunLock?
        defer { lock?.release() }
        var manifest = Manifest(folder: output)
        if !options.dryRun {
            try Self.makeFolder(output)
            lock = try RunLock(folder: output)
            do {
                rejects = try RejectWriter(folder: output)
                if sinkKind != .redis { history = try SQLiteHistoryStore(folder: output) }
                switch sinkKind {
                case .ndjson:
                    sink = try NDJSONSessionWriter(folder: output)
                    summary.sink = "ndjson \(output)/\(NDJSONSessionWriter.fileName)"
                case .csv:
                    sink = try CSVSessionWriter(folder: output, fieldNames: fieldLayout.fieldNames)
                    summary.sink = "csv \(output)/sessions.csv"
                case .resp:
                    sink = try RESPSessionWriter(folder: output, layout: keyLayout, sortedSet: pipeline.schema.eventsAsSortedSet,
                                                 ttlSeconds: pipeline.sink.ttlSeconds)
                    summary.sink = "resp \(output)/redis.resp"
                case .redis:
                    let url = try redisURL()
                    sink = try RedisSessionWriter(url: url, layout: keyLayout,
                                                  sortedSet: pipeline.schema.eventsAsSortedSet, ttlSeconds: pipeline.sink.ttlSeconds)
                    history = RedisHistoryStore(url: url, prefix: pipeline.sink.keyPrefix)
                    if let failure = try lock?.lockRedis(url: url, prefix: pipeline.sink.keyPrefix) {
                        summary.problems.append(failure.message)
                        summary.exitStatus = .sinkFailure
                        summary.seconds = Self.now() - started
                        return summary
                    }
                    summary.sink = "redis \(url.redacted)"
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

        let transformer = Transformer(configuration: configuration)
        var records: [Record] = []
        let filter = RecordFilter(botPatterns: pipeline.botPatterns, excludedPaths: pipeline.excludedPaths)
        var progress = Progress(mode: options.progress, total: files.count, report: report)
        var rejectFailure: SinkError?
        for (index, file) in files.enumerated() {
            progress.startFile(index, path: file.path)
            var reader = try LineSource(file: file)
            var fileSummary = RunSummary.FileSummary(path: file.path, kind: file.source.kind)
            let recordReject = { (reject: Reject) in
                summary.rejected[reject.reason, default: 0] += 1
                fileSummary.rejected += 1
                if let rejects {
                    do throws(SinkError) { try rejects.write(reject) } catch { rejectFailure = error }
                }
            }
            let damage = reader.forEachLine(stream: pipeline.maxLineLength) { item in
                switch item {
                case .blank:
                    summary.filtered[.blankLine, default: 0] += 1
                case .skip(let reason):
                    summary.filtered[reason, default: 0] += 1
                case .reject(let reject):
                    recordReject(reject)
                case .record(var record, let number, let raw):
                    if let reason = filter.reason(toDrop: record) {
                        summary.filtered[reason, default: 0] += 1
                        return
                    }
                    if let (reason, detail) = IdentityRule.violation(record) {
                        recordReject(Reject(source: file.path, line: number, reason: reason, raw: raw, detail: detail))
                        return
                    }
                    record.position = file.position(line: number)
                    records.append(transformer.normalize(record))
                    summary.kept += 1
                }
                progress.tick()
            }
            fileSummary.lines = reader.lines
            fileSummary.bytes = reader.bytes
            fileSummary.crc32 = reader.checksum
            if !options.dryRun {
                fileSummary.seenBefore = manifest.record(path: file.path, bytes: reader.bytes, crc32: reader.checksum, now: Int64(time(nil)))
            }
            summary.linesRead += reader.lines
            if let damage {
                fileSummary.damage = damage.message
                recordReject(Reject(source: file.path, line: reader.lines + 1, reason: reader.openFailed ? .unreadable : .gzipDamaged,
                                    raw: damage.tail, detail: damage.message))
                summary.problems.append("\(file.path): \(damage.message)")
                summary.exitStatus = .inputDamaged
            }
            summary.files.append(fileSummary)
        }
        progress.finish()

        // Merge with the stored history and rebuild every visitor this run touches (SPEC 10).
        let plan: HistoryPlanner.Plan
        do {
            plan = try HistoryPlanner(transformer: transformer, store: history).plan(records)
        } catch {
            summary.problems.append(error.message)
            summary.exitStatus = .sinkFailure
            summary.seconds = Self.now() - started
            return summary
        }
        records = []
        if plan.mergedPageViews > 0 { summary.filtered[.mergedPageView] = plan.mergedPageViews }
        if plan.duplicateEvents > 0 { summary.filtered[.duplicateEvent] = plan.duplicateEvents }
        if plan.overEventCap > 0 { summary.filtered[.overEventCap] = plan.overEventCap }
        summary.kept -= plan.mergedPageViews + plan.duplicateEvents + plan.overEventCap
        summary.visitors = plan.visitors
        summary.withheldSessions = plan.withheldSessions
        summary.deletedSessions = plan.deleted.count

        if summary.rejectRate > summary.maxRejectRate {
            summary.problems.append("rejected \(summary.rejectedTotal) of \(summary.linesRead) lines, more than the limit of \(summary.maxRejectRate); check the source's format setting")
            summary.exitStatus = .inputDamaged
        }
        do throws(SinkError) {
            // Flat-file sinks write what this run created or changed; Redis gets every rebuilt
            // session (each write is idempotent).
            var change = plan.change
            var toWrite = plan.sessions
            if let stored = try history.sessionBodies(plan.sessions.map(\.id)) {
                toWrite = []
                for session in plan.sessions {
                    var body: [UInt8] = []
                    NDJSONSessionWriter.append(session, to: &body)
                    change.sessionBodies.append((session.id, session.start, body))
                    if stored[session.id] != body { toWrite.append(session) }
                }
            }
            summary.rebuiltSessions = plan.sessions.count
            summary.sessions = toWrite.count
            for session in toWrite where session[field: FieldName.donationCompleted] == .bool(true) {
                summary.conversions += 1
                if case .amount(let amount)? = session[field: FieldName.donationAmount] {
                    summary.revenue = summary.revenue.adding(amount) ?? summary.revenue
                }
            }
            if let sink {
                try sink.delete(plan.deleted)
                var start = 0
                while start < toWrite.count {
                    let end = min(start + 1000, toWrite.count)
                    try sink.write(Array(toWrite[start..<end]))
                    start = end
                }
                try sink.finish()
            }
            if let rejectFailure { throw rejectFailure }
            if let rejects { try rejects.finish() }
            // History last: a run cut short before this point is repaired by running it again.
            if !options.dryRun {
                try history.commit(change)
                try manifest.write(folder: output)
            }
        } catch {
            summary.problems.append(error.message)
            summary.exitStatus = .sinkFailure
        }
        summary.seconds = Self.now() - started
        if let path = options.metricsFile {
            do {
                try Metrics.write(summary, pipeline: pipeline.file, to: path, now: Int64(time(nil)))
            } catch {
                summary.problems.append(error.description)
            }
        }
        return summary
    }

    private func redisURL() throws(PipelineError) -> RedisURL {
        let text = options.redisURL ?? pipeline.sink.url ?? "redis://127.0.0.1:6379/0"
        var environment = options.environment
        if environment.isEmpty { environment = ProcessEnvironment.current() }
        do {
            return try RedisURL(text, environment: environment)
        } catch {
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
    }

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
