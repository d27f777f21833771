import ArgumentParser
import FunnelPipeline

/// A run or backfill that stops with exit 1 before or during its work: the files a monitor
/// reads (`--summary-json`, `--metrics-file`) say so, whatever stopped it. Until 2026-12-05
/// they kept the previous run's figures (`funnel_exit_status 0`) for a pipeline error caught
/// before the run wrote them, and for every usage error (`--progress nevr`, `--from` after
/// `--to`) in all cases.
enum FailedRun {
    /// A `--dry-run` that fails says it was one, and keeps the last real run's exit status in
    /// the metrics, as a dry run that ends does (rv74a: one stopped by `--progress nevr` or a
    /// day that does not exist said `funnel_dry_run 0` and `funnel_exit_status 1`, over the
    /// nightly's status, and the next dry run kept that 1).
    static func record(_ error: any Error, pipeline: String, days: [Day] = [], dryRun: Bool = false, summaryJSON: String?, metricsFile: String?) {
        let problem = (error as? PipelineError)?.description ?? String(describing: error)
        var failed = RunSummary.failed(pipeline: pipeline, problem: problem, missingInputs: (error as? PipelineError)?.missingInputs ?? [], days: days)
        failed.dryRun = dryRun
        write(failed, pipeline: pipeline, summaryJSON: summaryJSON, metricsFile: metricsFile)
    }

    /// Writes the summary of a run that did not end its own way to the files given; one that
    /// cannot be written is left as it was (a path refused at the start among them).
    private static func write(_ summary: RunSummary, pipeline: String, summaryJSON: String?, metricsFile: String?) {
        if let summaryJSON { try? SummaryFile.write(summary, to: summaryJSON) }
        if let metricsFile { try? Metrics.write(summary, pipeline: pipeline, to: metricsFile) }
    }

    /// Watches for the signals that stop a run (`StopSignals`), to write the files a monitor
    /// reads, saying so, before the process ends with 128 + the signal. Called first in a
    /// command, before any thread is started.
    static func watchSignals(pipeline: String, dryRun: Bool = false, summaryJSON: String?, metricsFile: String?) {
        StopSignals.watch { signal in
            var stopped = RunSummary.stopped(pipeline: pipeline, signal: signal)
            stopped.dryRun = dryRun
            // The files first: stderr may be a pipe nobody reads any more.
            write(stopped, pipeline: pipeline, summaryJSON: summaryJSON, metricsFile: metricsFile)
            StopSignals.say("\nfunnel: \(stopped.problems[0])\n")
        }
    }

    /// What the command throws: a pipeline error said in funnel's words with exit 1; any
    /// other (a usage error) as it came, for the argument parser to say.
    static func exit(_ error: any Error) -> any Error {
        guard let error = error as? PipelineError else { return error }
        Runner.writeToStandardError("funnel: \(error.description)\n")
        return ExitCode(ExitStatus.pipelineError.rawValue)
    }
}
