import FunnelCore

/// Which of a pipeline's path patterns matches a file given with `--input`, and how that
/// pattern names it in its lines' positions (source, pattern, day, name). An `--input` file
/// is named as a day run names it, so that its ties in time and its duplicate event ids go as
/// they do in the day run (SPEC 10: until 2026-12-06 every `--input` file sorted after every
/// pattern's, and a night's late file fed with `--input` lost each tie for good; rv73b).
///
/// The patterns of a kind are listed once, all their dates at once (`PathTemplate.anyDate`),
/// when a file of that kind is first asked about; files are compared by identity, so a file
/// given by another spelling, relative or through a link, is found.
struct PatternMatches {
    struct Match {
        let source: Int
        let pattern: Int
        let day: Day?
        /// `InputFile.lastDay`.
        var lastDay: Day?
        let name: String
    }

    private let pipeline: Pipeline
    /// The run's days (`--date`, `--from`/`--to`), for a pattern whose date cannot be read
    /// back from a file's name (`{date:%d}`: no year).
    private let days: [Day]
    private var listed: [Pipeline.Source.Kind: [FileIdentity: Match]] = [:]

    init(pipeline: Pipeline, days: [Day]) {
        self.pipeline = pipeline
        self.days = days
    }

    /// The first source and pattern, in the pipeline file's order, that match the file.
    mutating func match(_ identity: FileIdentity, kind: Pipeline.Source.Kind) -> Match? {
        if listed[kind] == nil { listed[kind] = list(kind) }
        return listed[kind]?[identity]
    }

    private func list(_ kind: Pipeline.Source.Kind) -> [FileIdentity: Match] {
        var matches: [FileIdentity: Match] = [:]
        func add(_ path: String, _ match: Match) {
            guard path != "-", let identity = FileIdentity.look(path)?.identity, matches[identity] == nil else { return }
            matches[identity] = match
        }
        for (sourceIndex, source) in pipeline.sources.enumerated() where source.kind == kind {
            for (patternIndex, pattern) in source.paths.enumerated() {
                let template = PathTemplate(pattern)
                guard template.hasDate else {
                    guard let filled = try? template.filled(for: nil) else { continue }
                    for path in PathTemplate.glob(filled) {
                        add(path, Match(source: sourceIndex, pattern: patternIndex, day: nil, lastDay: nil, name: PathTemplate.positionName(of: path, filled: filled)))
                    }
                    continue
                }
                let any = PathTemplate.glob(template.anyDate)
                var dated = template.days(of: any)
                // A date without a year (rv73f: `{date:%d}` named no --input file as the
                // day run did): the files of the run's days, as the day run finds them.
                if dated.isEmpty && !any.isEmpty {
                    dated = days.flatMap { day in (try? template.filled(for: day)).map { PathTemplate.glob($0).map { ($0, day) } } ?? [] }
                }
                for (path, day) in dated {
                    guard let filled = try? template.filled(for: day) else { continue }
                    add(path, Match(source: sourceIndex, pattern: patternIndex, day: InputPlan.firstDay(of: template, filling: filled, from: day),
                                    lastDay: InputPlan.lastDay(of: template, filling: filled, from: day), name: PathTemplate.positionName(of: path, filled: filled)))
                }
            }
        }
        return matches
    }
}
