import ArgumentParser
import FunnelPipeline

/// The options `run` and `backfill` share: where sessions go and how a run is judged.
struct SinkOptions: ParsableArguments {
    @Option(help: "Where sessions go: redis, ndjson, csv or resp. Overrides sink.kind.")
    var sink: String?

    @Option(help: "Folder for flat files, rejects.ndjson and the history. Overrides sink.output.")
    var output: String?

    @Option(help: "redis://[user[:password]@]host:port/db or unix:///path.sock. Prefer REDIS_PASSWORD for the password: arguments are visible in the process list.")
    var redisURL: String?

    @Option(help: "Fail (exit 2) when more than this share of lines is rejected. Default: the pipeline's limits.max_reject_rate, else 0.01.")
    var maxRejectRate: Double?

    @Option(help: "Write Prometheus metrics (lines, rejects, sessions, duration, last success) to this file, for node_exporter's textfile collector.")
    var metricsFile: String?

    @Option(help: "Records held in memory before the visitors the input has passed are flushed (default 20000). Lower uses less memory, except for one visitor's records, which are held together; the sessions written are the same (the summary's visitors and rebuilt_sessions count rebuilds, which may differ).")
    var chunkRecords: Int?

    /// `--max-reject-rate` is a share, 0 to 1 (`validate` checks its own the same way).
    static func check(maxRejectRate: Double?) throws {
        if let maxRejectRate, !(0...1).contains(maxRejectRate) { throw ValidationError("--max-reject-rate must be between 0 and 1") }
    }

    /// Copies the options into `options`, checking their values.
    func apply(to options: inout RunOptions) throws {
        if let sink {
            guard let kind = Pipeline.SinkKind(rawValue: sink) else {
                throw ValidationError("--sink must be one of: \(Pipeline.SinkKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            options.sink = kind
        }
        try Self.check(maxRejectRate: maxRejectRate)
        options.maxRejectRate = maxRejectRate
        // An empty folder made paths like "/funnel.lock": the run wrote into the root folder.
        if output?.isEmpty == true { throw ValidationError("--output is empty: name the folder of the outputs") }
        options.output = output
        options.redisURL = redisURL
        if let metricsFile { try SummaryFile.checkWritable(metricsFile, option: "--metrics-file") }
        options.metricsFile = metricsFile
        if let chunkRecords, chunkRecords < 1 { throw ValidationError("--chunk-records must be at least 1") }
        options.chunkRecords = chunkRecords
        if let redisURL, (try? RedisURLCheck.hasPassword(redisURL)) == true {
            Runner.writeToStandardError("funnel: warning: the password in --redis-url is visible to every user in the process list; set REDIS_PASSWORD instead\n")
        }
    }
}
