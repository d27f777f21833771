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
    /// A flat-file history holding fewer runs than its folder's runs committed into it
    /// (`Runner.refuseHistoryBehind`): a backfill stopped by it does not say to resume, which
    /// would meet the same refusal (rv77c).
    public var historyBehind = false

    public init(_ description: String, noInput: Bool = false) {
        self.description = Self.redactingPasswords(description)
        self.noInput = noInput
    }

    /// `text` with the password of every URL in it written `***`: a message quotes what the
    /// user wrote, and a Redis URL written under another key (`sink.kind: redis://u:secret@...`)
    /// put its password on stderr and in `--summary-json` (rv74a), which README says never
    /// happens. A quoted value is masked whole as `RedisURLError` masks a URL (`/`, `#` or a
    /// space in the password, none without a colon or a scheme, `?password=`; rv74d), then
    /// every unquoted `scheme://user:password@` (a path given on the command line; rv74e), but
    /// funnel's own advice, whose password is the word `password` (rv74d: it became
    /// `redis://user:***@host`).
    static func redactingPasswords(_ text: String) -> String {
        guard text.contains("@") || text.contains("://") else { return text }
        return maskingUnquotedURLs(maskingQuotedValues(text))
    }

    /// A quote opens after a space or a mark, never after a letter (`pipeline's`), and closes
    /// before the end, a space or `:;,.)]`; a value holding `://` closes at the last such
    /// quote of the message (a password may hold `'`: masking too much costs nothing). A
    /// quote that does not close leaves the rest as it is.
    private static func maskingQuotedValues(_ text: String) -> String {
        let characters = Array(text)
        func isWordCharacter(_ index: Int) -> Bool { characters.indices.contains(index) && (characters[index].isLetter || characters[index].isNumber) }
        func closes(_ index: Int) -> Bool {
            characters[index] == "'" && (index + 1 == characters.count || characters[index + 1].isWhitespace || ":;,.)]".contains(characters[index + 1]))
        }
        var out = ""
        var index = 0
        while index < characters.count {
            let quotes = (index + 1)..<characters.count
            if characters[index] == "'", !isWordCharacter(index - 1), let first = quotes.first(where: closes) {
                var close = first
                let value = String(characters[(index + 1)..<first])
                if value.contains("://"), !value.contains("@"), let last = quotes.last(where: closes), characters[first..<last].contains("@") {
                    close = last
                }
                out += "'" + RedisURLError.maskAnyURL(String(characters[(index + 1)..<close])) + "'"
                index = close + 1
            } else {
                out.append(characters[index])
                index += 1
            }
        }
        return out
    }

    /// Every `scheme://user:password@` outside quotes, the authority ending at the first of
    /// `/?# '"` or a line's end.
    private static func maskingUnquotedURLs(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let scheme = rest.range(of: "://") {
            out += rest[..<scheme.upperBound]
            rest = rest[scheme.upperBound...]
            let end = rest.firstIndex { "/?# '\"\n".contains($0) } ?? rest.endIndex
            if let at = rest[..<end].lastIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":"),
               !["password", "***"].contains(rest[rest.index(after: colon)..<at]) {
                out += rest[...colon] + "***"
                rest = rest[at...]
            }
        }
        return out + rest
    }
}
