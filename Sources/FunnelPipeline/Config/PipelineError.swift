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
        self.description = Self.redactingPasswords(description)
        self.noInput = noInput
    }

    /// `text` with the password of every URL in it (`scheme://user:password@host`) written
    /// `***`: a message quotes what the user wrote, and a Redis URL written under another key
    /// (`sink.kind: redis://u:secret@...`) put its password on stderr and in `--summary-json`
    /// (rv74a), which README says never happens.
    static func redactingPasswords(_ text: String) -> String {
        guard text.contains("://") else { return text }
        var out = ""
        var rest = Substring(text)
        while let scheme = rest.range(of: "://") {
            out += rest[..<scheme.upperBound]
            rest = rest[scheme.upperBound...]
            // The authority ends at the first of these; a password is between its ':' and '@'.
            let end = rest.firstIndex { "/?# '\"\n".contains($0) } ?? rest.endIndex
            if let at = rest[..<end].lastIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") {
                out += rest[...colon] + "***"
                rest = rest[at...]
            }
        }
        return out + rest
    }
}
