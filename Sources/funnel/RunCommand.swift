import ArgumentParser
import FunnelPipeline

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline over one day, a range of days, or given files.",
        discussion: """
        Exit status: 0 success; 1 usage or pipeline error (nothing written but --metrics-file and --summary-json); 2 an input was \
        damaged, more lines than --max-reject-rate were rejected, an input read before \
        changed, or the stored sessions were built with other settings (everything readable was \
        still written); 3 the sink failed after retries, Redis restarted or lost the run's lock \
        during the run (run it again), or Redis holds less than the output folder's runs loaded \
        (nothing written: rebuild, docs/operations.md).
        """
    )

    @Argument(help: "The pipeline file (YAML).")
    var pipeline: String

    @Option(help: "The day to read, YYYY-MM-DD (or today, yesterday; UTC): fills {date} in paths.")
    var date: String?

    @Option(help: "First day of a range (with --to).")
    var from: String?

    @Option(help: "Last day of a range, included (with --from).")
    var to: String?

    @Option(name: .customLong("input"), help: "Read this file instead of the sources' paths ('-' for stdin). Repeatable.")
    var inputs: [String] = []

    @Option(help: "How to read --input files: access_log or ndjson. Default: guessed from the first byte that is not blank ({ is ndjson, anything else access_log).")
    var inputKind: String?

    @OptionGroup var sinkOptions: SinkOptions

    @Flag(help: "Read and transform, but write nothing.")
    var dryRun = false

    @Option(help: "Progress bar on stderr: auto (when a terminal), always, never.")
    var progress: String = "auto"

    @Option(help: "Also write the run summary as JSON to this file.")
    var summaryJSON: String?

    func run() throws {
        FailedRun.watchSignals(pipeline: pipeline, dryRun: dryRun, summaryJSON: summaryJSON, metricsFile: sinkOptions.metricsFile)
        defer { StopSignals.end() }
        var options = RunOptions()
        do {
            options.days = try DayArguments.days(date: date, from: from, to: to)
            options.inputs = inputs
            if inputKind != nil && inputs.isEmpty {
                throw ValidationError("--input-kind says how to read --input files, and no --input is given; add --input FILE, or leave --input-kind out")
            }
            if let inputKind {
                guard let kind = Pipeline.Source.Kind(rawValue: inputKind) else {
                    throw ValidationError("--input-kind must be access_log or ndjson")
                }
                options.inputKind = kind
            }
            try sinkOptions.apply(to: &options)
            guard let mode = RunOptions.Progress(rawValue: progress) else { throw ValidationError("--progress must be auto, always or never") }
            options.progress = mode
            options.dryRun = dryRun
            options.summaryJSON = summaryJSON
            if let summaryJSON { try SummaryFile.checkWritable(summaryJSON) }

            let loaded = try PipelineLoader.load(path: pipeline)
            let summary = try Runner(pipeline: loaded, options: options).run()
            Runner.writeToStandardError(summary.text)
            if let summaryJSON {
                // The run's work is done and told (the metrics file too): a summary that cannot
                // be written now (a disk that filled during the run) is said, and the run keeps
                // its exit status. Until 2026-12-05's night it was exit 1, "nothing written", and the
                // metrics were overwritten to say so: a wrapper that loads the night's sessions
                // on exit 0 skipped them, and the re-run it was told to make wrote none (a review).
                do {
                    try SummaryFile.write(summary, to: summaryJSON)
                } catch {
                    Runner.writeToStandardError("warning: \(SummaryFile.afterTheRun(error.description, exitStatus: summary.exitStatus)), as above: the summary above is the run's\n")
                }
            }
            if summary.exitStatus != .success { throw ExitCode(summary.exitStatus.rawValue) }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            FailedRun.record(error, pipeline: pipeline, days: options.days, dryRun: dryRun, summaryJSON: summaryJSON, metricsFile: sinkOptions.metricsFile)
            throw FailedRun.exit(error)
        }
    }
}
