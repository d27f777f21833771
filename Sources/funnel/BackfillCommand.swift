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
        day with status 1 or 3 stops the backfill (run the same command again to resume); a \
        day no input file matches is passed and named, and makes the status 2; 3 when the \
        rebuild's FLUSHDB or SWAPDB fails.
        """
    )

    @Argument(help: "The pipeline file (YAML).")
    var pipeline: String

    @Option(help: "First day, YYYY-MM-DD.")
    var from: String

    @Option(help: "Last day, included.")
    var to: String

    @OptionGroup var sinkOptions: SinkOptions

    @Flag(help: "Reprocess everything into staging and switch it in atomically at the end.")
    var rebuild = false

    @Option(help: "Redis database used as staging by --rebuild (default: the live one + 1).")
    var stagingDB: Int?

    func run() throws {
        FailedRun.watchSignals(pipeline: pipeline, summaryJSON: nil, metricsFile: sinkOptions.metricsFile)
        defer { StopSignals.end() }
        var started = false
        let status: ExitStatus
        do {
            let loaded = try PipelineLoader.load(path: pipeline)
            var options = RunOptions()
            try sinkOptions.apply(to: &options)
            // Ignored otherwise (until 2026-12-05 it was, without a word).
            if stagingDB != nil && !rebuild {
                throw ValidationError("--staging-db names the database a --rebuild loads into; add --rebuild, or leave --staging-db out")
            }
            if stagingDB != nil && (options.sink ?? loaded.sink.kind) != .redis {
                throw ValidationError("--staging-db applies to a Redis sink; a flat-file rebuild stages in <output>.rebuild")
            }
            options.progress = .never
            var backfill = Backfill(pipeline: loaded, options: options, days: try RunOptions.days(from: Day(parsing: from), to: Day(parsing: to)))
            backfill.rebuild = rebuild
            backfill.stagingDB = stagingDB
            started = true
            status = try backfill.run()
        } catch let exit as ExitCode {
            throw exit
        } catch {
            // `Backfill.run` writes the metrics of a failure of its own; one before it (a
            // pipeline that does not load, a bad option) is written here.
            if !started { FailedRun.record(error, pipeline: pipeline, summaryJSON: nil, metricsFile: sinkOptions.metricsFile) }
            throw FailedRun.exit(error)
        }
        if status != .success { throw ExitCode(status.rawValue) }
    }
}
