import ArgumentParser
import FunnelPipeline

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a pipeline file and sample its inputs.",
        discussion: """
        Reads the first lines of each input (with --date, that day's files; without, the \
        files of the newest three days of each path pattern, every server's) and prints the \
        share that parses per file; a path pattern that matches no file fails. Exit status: 0 \
        when every file parses within --max-reject-rate, 1 for a pipeline error or when no \
        pattern matches any file, 2 when a file rejects more or a pattern matches nothing.
        """
    )

    @Argument(help: "The pipeline file (YAML).")
    var pipeline: String

    @Option(help: "The day whose files to sample, YYYY-MM-DD.")
    var date: String?

    @Option(help: "Lines to sample per file.")
    var lines: Int = 1000

    @Option(help: "Reject share above which a file fails. Default: the pipeline's, else 0.01.")
    var maxRejectRate: Double?

    func run() throws {
        do {
            let loaded = try PipelineLoader.load(path: pipeline)
            var options = RunOptions()
            options.days = try DayArguments.days(date: date, from: nil, to: nil)
            var validator = Validator(pipeline: loaded, options: options)
            guard lines >= 1 else { throw ValidationError("--lines must be at least 1 (lines to sample per file)") }
            // As `run` checks it (until 2026-12-05 validate took 7 and -1).
            try SinkOptions.check(maxRejectRate: maxRejectRate)
            validator.sampleLines = lines
            let reports = try validator.run()
            let limit = maxRejectRate ?? loaded.maxRejectRate
            var failed = false
            print("pipeline \(pipeline): OK (\(loaded.sources.count) sources, schema \(loaded.schema.rawValue), sink \(loaded.sink.kind.rawValue))")
            for report in reports {
                if report.matchedNothing {
                    failed = true
                    print("FAIL \(report.path) [\(report.kind.rawValue)]: matched no file")
                    continue
                }
                let rate = 1 - report.parseRate
                let ok = rate <= limit && report.damage == nil
                failed = failed || !ok
                let reasons = report.rejected.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")
                let parsedPercent = Double(Int(report.parseRate * 10000)) / 100
                print("\(ok ? "ok  " : "FAIL") \(report.path) [\(report.kind.rawValue)]: \(report.parsed)/\(report.sampled) lines parse (\(parsedPercent)%), \(report.kept) kept\(reasons.isEmpty ? "" : "; rejected: " + reasons)\(report.damage.map { "; damaged: " + $0 } ?? "")")
            }
            if failed { throw ExitCode(ExitStatus.inputDamaged.rawValue) }
        } catch let error as PipelineError {
            Runner.writeToStandardError("funnel: \(error.description)\n")
            throw ExitCode(ExitStatus.pipelineError.rawValue)
        }
    }
}
