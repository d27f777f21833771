import ArgumentParser
import FunnelPipeline

struct BackfillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Run a pipeline day by day over a range, resumably.",
        discussion: """
        Each day is a normal run that carries history, so the result equals one run over the \
        whole range. Progress and an ETA go to stderr. A backfill that is killed resumes after \
        its last completed day when the same command is run again. With --rebuild the days \
        are loaded into a staging Redis database (or a staging folder) and switched in with \
        SWAPDB (or a rename) only when all are done. Exit status: the worst of the days'; a \
        day with status 1 or 3 stops the backfill.
        """
    )

    @Argument(help: "The pipeline file (YAML).")
    var pipeline: String

    @Option(help: "First day, YYYY-MM-DD.")
    var from: String

    @Option(help: "Last day, included.")
    var to: String

    @Option(help: "Where sessions go: redis, ndjson, csv or resp. Overrides sink.kind.")
    var sink: String?

    @Option(help: "Folder for flat files, rejects and the backfill state. Overrides sink.output.")
    var output: String?

    @Option(help: "redis://[user[:password]@]host:port/db or unix:///path.sock.")
    var redisURL: String?

    @Flag(help: "Reprocess everything into staging and switch it in atomically at the end.")
    var rebuild = false

    @Option(help: "Redis database used as staging by --rebuild (default: the live one + 1).")
    var stagingDB: Int?

    @Option(help: "Fail a day (exit 2) when more than this share of its lines is rejected.")
    var maxRejectRate: Double?

    @Option(help: "Write Prometheus metrics of each day's run to this file.")
    var metricsFile: String?

    func run() throws {
        do {
            let loaded = try PipelineLoader.load(path: pipeline)
            var options = RunOptions()
            if let sink {
                guard let kind = Pipeline.SinkKind(rawValue: sink) else {
                    throw PipelineError("--sink must be one of: \(Pipeline.SinkKind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                options.sink = kind
            }
            options.output = output
            options.redisURL = redisURL
            options.maxRejectRate = maxRejectRate
            options.metricsFile = metricsFile
            options.progress = .never
            var backfill = Backfill(pipeline: loaded, options: options, days: try RunOptions.days(from: Day(parsing: from), to: Day(parsing: to)))
            backfill.rebuild = rebuild
            backfill.stagingDB = stagingDB
            let status = try backfill.run()
            if status != .success { throw ExitCode(status.rawValue) }
        } catch let error as PipelineError {
            Runner.writeToStandardError("funnel: \(error.description)\n")
            throw ExitCode(ExitStatus.pipelineError.rawValue)
        }
    }
}
