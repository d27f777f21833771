import ArgumentParser
import FunnelPipeline

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a pipeline file and sample its inputs.",
        discussion: """
        Reads the first lines of each input (with --date, that day's files; without, the \
        files of the newest three days of each path pattern, every server's, or a pattern \
        without {date}'s last three files by name; with --all-files, every file) and prints the \
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

    @Flag(help: "Print a line for every file that passes (by default the first \(Self.okShown), then one line for the rest; every failing file has its line).")
    var everyFile = false

    @Flag(help: "Sample every file the path patterns match, of every day (by default the newest three days' files, or a pattern without {date}'s last three by name).")
    var allFiles = false

    /// Passing files named one to a line before the rest are counted in one: a day of 1,440
    /// minute dumps printed 1,442 lines (a review of many input files; until 2026-12-05).
    static let okShown = 10

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
            if allFiles {
                // A CI gate over a folder of fixtures wants each one read (until 2026-12-05's night a
                // pattern without a date sampled its last three files by name alone; a review).
                guard date == nil else { throw ValidationError("--all-files samples the files of every day, and --date one day's: give one of them") }
                validator.filesPerPattern = Int.max
            }
            let sources = loaded.sources.count == 1 ? "1 source" : "\(loaded.sources.count) sources"
            let loadedText = (["pipeline \(pipeline): OK (\(sources), schema \(loaded.schema.rawValue), sink \(loaded.sink.kind.rawValue))"]
                + loaded.loadWarnings.map { "warning: \($0.text)" }).joined(separator: "\n")
            let reports: [Validator.FileReport]
            do {
                reports = try validator.run()
            } catch {
                // The file loaded: said before the inputs' fault, so that it is not taken for
                // the file's (a review: the same exit 1 and no other line as a YAML error).
                if error.noInput { StandardOutput.print(loadedText) }
                throw error
            }
            let limit = maxRejectRate ?? loaded.maxRejectRate
            var failed = false
            StandardOutput.print(loadedText)
            var okCount = 0
            var rest = (files: 0, parsed: 0, sampled: 0, kept: 0)
            for report in reports {
                if report.matchedNothing {
                    failed = true
                    StandardOutput.print("FAIL \(report.path) [\(report.kind.rawValue)]: matched no file")
                    continue
                }
                let rate = report.rejectRate
                let ok = rate <= limit && report.damage == nil
                failed = failed || !ok
                let reasons = report.rejected.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")
                let parsedPercent = Double(Int(report.parseRate * 10000)) / 100
                if ok {
                    okCount += 1
                    if okCount > Self.okShown && !everyFile && report.unfoundMappings.isEmpty {
                        rest = (rest.files + 1, rest.parsed + report.parsed, rest.sampled + report.sampled, rest.kept + report.kept)
                        continue
                    }
                }
                StandardOutput.print("\(ok ? "ok  " : "FAIL") \(report.path) [\(report.kind.rawValue)]: \(report.parsed)/\(report.sampled) lines parse (\(parsedPercent)%), \(report.kept) kept\(reasons.isEmpty ? "" : "; rejected: " + reasons)\(report.damage.map { "; damaged: " + $0 } ?? "")\(report.linesPastFormat.map { "; \($0) with text after the end of the format (fields it may lack: a combined log read as common?)" } ?? "")\(report.unfoundMappings.isEmpty ? "" : "; no event holds the path of the fields mapping's " + report.unfoundMappings.joined(separator: ", "))")
            }
            if rest.files > 0 {
                let percent = Double(Int(Double(rest.parsed) / Double(max(1, rest.sampled)) * 10000)) / 100
                StandardOutput.print("ok   and \(rest.files) more files: \(rest.parsed)/\(rest.sampled) lines parse (\(percent)%), \(rest.kept) kept (--every-file names them)")
            }
            let unwritten = StandardOutput.finish() != nil
            if failed { throw ExitCode(ExitStatus.inputDamaged.rawValue) }
            if unwritten { throw ExitCode(ExitStatus.pipelineError.rawValue) }
        } catch let error as PipelineError {
            Runner.writeToStandardError("funnel: \(error.description)\n")
            throw ExitCode(ExitStatus.pipelineError.rawValue)
        }
    }
}
