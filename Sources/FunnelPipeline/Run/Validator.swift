import FunnelCore
import FunnelTransform
#if canImport(Glibc)
import Glibc
#endif

/// `funnel validate`: checks a pipeline file and samples its inputs, so a wrong format is
/// found before the nightly run (SPEC 9).
public struct Validator {
    public struct FileReport: Sendable {
        public var path: String
        public var kind: Pipeline.Source.Kind
        public var sampled = 0
        public var parsed = 0
        public var kept = 0
        public var rejected: [RejectReason: Int] = [:]
        public var damage: String?
        /// Lines with text after the format's end, when most sampled lines have it (a format
        /// lacking fields the log has: `LineSource.mostLinesPastFormat`).
        public var linesPastFormat: Int?
        /// The `fields` mappings whose paths none of the sampled events held
        /// (`LineSource.unfoundMappings`: `run` warns of them; rv75h: validate said ok).
        public var unfoundMappings: [String] = []
        /// The path is a pattern that matched no file (for `--date`'s day, or for any day).
        public var matchedNothing = false

        /// Share of sampled lines that parsed (blank lines count as parsed).
        public var parseRate: Double { sampled == 0 ? 1 : Double(parsed) / Double(sampled) }
        /// Share of sampled lines that did not parse, as a run's reject rate is made (rejected
        /// over read): `1 - parseRate` was 0.010000000000000009 for 1 line in 100, over a limit
        /// of 0.01 that the run met (a review: validate failed a file run accepted).
        public var rejectRate: Double { sampled == 0 ? 0 : Double(sampled - parsed) / Double(sampled) }
    }

    public let pipeline: Pipeline
    public let options: RunOptions
    public var sampleLines = 1000
    /// Without `--date`, the files of the newest few days of each pattern are sampled (every
    /// server's), or, for a pattern without a date, its last few files by name.
    public var filesPerPattern = 3

    public init(pipeline: Pipeline, options: RunOptions) {
        self.pipeline = pipeline
        self.options = options
    }

    public func run() throws(PipelineError) -> [FileReport] {
        // What a run sets up before reading (the MaxMind DB above all) fails here as it would
        // there, rather than passing a file the run then refuses.
        _ = try Runner.configuration(pipeline)
        // The Redis URL too (a scheme, a user without a password): `run` parses it before
        // anything is read (until 2026-12-05 validate passed a URL the run refused).
        if (options.sink ?? pipeline.sink.kind) == .redis {
            _ = try Runner.redisURL(pipeline.sink, override: options.redisURL, file: pipeline.file, environment: options.environment)
        }
        var plan = options
        var sampling = pipeline
        var reports: [FileReport] = []
        if plan.days.isEmpty && plan.inputs.isEmpty {
            // No date: look at the newest files any date would match.
            for index in sampling.sources.indices {
                sampling.sources[index].paths = sampling.sources[index].paths.flatMap { pattern in
                    let newest = newestFiles(of: PathTemplate(pattern))
                    if newest.isEmpty { reports.append(FileReport(path: PathTemplate.unescaped(pattern), kind: pipeline.sources[index].kind, matchedNothing: true)) }
                    // Each file is then a pattern matching itself alone (a file named
                    // `web[1].log` was globbed again and matched nothing; a review).
                    return newest.map(PathTemplate.escaped)
                }
            }
            plan.days = []
            if sampling.sources.allSatisfy(\.paths.isEmpty) {
                throw PipelineError("no input file matched: \(pipeline.sources.flatMap(\.paths).map(PathTemplate.unescaped).joined(separator: ", "))", noInput: true)
            }
        }
        let (files, missing, _) = try InputPlan.files(pipeline: sampling, options: plan)
        // A pattern that matches nothing is what validate is for (a typo that a run would
        // list as missing every night): until 2026-12-05 it was left out and all was OK.
        for path in missing {
            let kind = pipeline.sources.first { $0.paths.contains { (try? PathTemplate($0).filled(for: plan.days.first)).map(PathTemplate.unescaped) == path } }?.kind ?? .accessLog
            reports.append(FileReport(path: path, kind: kind, matchedNothing: true))
        }
        let filter = RecordFilter(botPatterns: pipeline.botPatterns, excludedPaths: pipeline.excludedPaths)
        for file in files {
            var report = FileReport(path: file.path, kind: file.source.kind)
            var source = try LineSource(file: file)
            var stop = false
            while !stop, let item = source.next(maxLineLength: pipeline.maxLineLength) {
                report.sampled += 1
                switch item {
                case .blank, .skip:
                    report.parsed += 1
                case .taken:
                    // Only a reader that passes `pageView` gets these; this one reads records.
                    report.parsed += 1
                    report.kept += 1
                case .reject(let reject):
                    report.rejected[reject.reason, default: 0] += 1
                case .record(let record, _, _):
                    if let (reason, _) = IdentityRule.violation(record) {
                        report.rejected[reason, default: 0] += 1
                    } else {
                        report.parsed += 1
                        if filter.reason(toDrop: record) == nil { report.kept += 1 }
                    }
                }
                if report.sampled >= sampleLines { stop = true }
            }
            report.damage = stop ? nil : source.damage?.message
            if source.mostLinesPastFormat { report.linesPastFormat = source.pastFormat.past }
            report.unfoundMappings = source.unfoundMappings.map { "\($0.target) from \($0.path)" }
            reports.append(report)
        }
        return reports
    }

    /// The files of the `filesPerPattern` newest days a dated pattern matches (each day's
    /// files of every server), or a pattern without a date's last files by name.
    func newestFiles(of template: PathTemplate) -> [String] {
        let matched = PathTemplate.glob(template.anyDate).filter { $0 == "-" || access($0, F_OK) == 0 }
        guard template.hasDate else { return Array(matched.suffix(filesPerPattern)) }
        let dated = template.days(of: matched)
        let days = Set(dated.map(\.day)).sorted().suffix(filesPerPattern)
        guard let oldest = days.first else { return Array(matched.suffix(filesPerPattern)) }
        return dated.filter { $0.day >= oldest }.sorted { ($0.day, $0.path) < ($1.day, $1.path) }.map(\.path)
    }
}
