import FunnelWriters

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

    /// `text` with the password of every URL it quotes (`'redis://user:password@host'`, also
    /// without a scheme or with `?password=`) written `***`, as `RedisURLError` masks one: a
    /// message quotes what the user wrote, and a Redis URL written under another key
    /// (`sink.kind: redis://u:secret@...`) put its password on stderr and in `--summary-json`
    /// (rv74a), which README says never happens. Only quoted text is masked: funnel's own
    /// advice, `redis://user:password@host`, is left as written (rv74d).
    static func redactingPasswords(_ text: String) -> String {
        guard text.contains("@") || text.contains("://") else { return text }
        // A quote opens after a space or a mark, never after a letter (`pipeline's`), and
        // closes before one; a quote that does not close leaves the rest as it is.
        let characters = Array(text)
        func isWordCharacter(_ index: Int) -> Bool { characters.indices.contains(index) && (characters[index].isLetter || characters[index].isNumber) }
        var out = ""
        var index = 0
        while index < characters.count {
            if characters[index] == "'", !isWordCharacter(index - 1),
               let close = characters[(index + 1)...].indices.first(where: { characters[$0] == "'" && !isWordCharacter($0 + 1) }) {
                out += "'" + RedisURLError.maskAnyURL(String(characters[(index + 1)..<close])) + "'"
                index = close + 1
            } else {
                out.append(characters[index])
                index += 1
            }
        }
        return out
    }
}
