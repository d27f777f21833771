/// A pipeline that cannot run as written (exit status 1). The message names the file, the key
/// and what to write instead.
public struct PipelineError: Error, CustomStringConvertible, Sendable {
    public var description: String
    /// No input file matched the run's patterns: a backfill goes on past such a day.
    public var noInput = false
    /// With `noInput`: the patterns that matched nothing, for the failed run's summary file
    /// (`RunSummary.failed`), whose `missing_inputs` were empty until 2026-12-05.
    public var missingInputs: [String] = []

    public init(_ description: String, noInput: Bool = false) {
        self.description = description
        self.noInput = noInput
    }
}
