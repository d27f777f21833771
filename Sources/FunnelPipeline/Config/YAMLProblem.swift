import Yams

/// What is wrong with a pipeline file that is not YAML, in words that quote none of it.
///
/// Yams's own description copies the file's text around the fault (the line for a scanner's
/// error, the whole mapping for a duplicate key), and a pipeline file may hold a Redis
/// password in `sink.url` and the identity salt: until 2026-12-05 both reached stderr and
/// `--summary-json`. The position and the problem are enough to find the fault.
enum YAMLProblem {
    /// `text` is the file's, read only for the hints (`hint(lines:in:)`), never quoted.
    static func text(of error: any Error, in text: String = "") -> String {
        guard let error = error as? YamlError else { return "the file cannot be read as YAML" }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            // libyaml's context is its own phrase ("while scanning a simple key"), never the file's.
            let during = context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""
            let lines = [mark.line] + (context.map { [$0.mark.line] } ?? [])
            return "line \(mark.line), column \(mark.column): \(problem)\(during)\(hint(lines: lines, in: text))"
        case let .reader(problem, _, _, _):
            return problem
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return "line \(context.mark.line): \(duplicates.count == 1 ? "the key \(keys) is" : "the keys \(keys) are") given twice in one mapping; keep one"
        default:
            return "the file cannot be read as YAML"
        }
    }

    /// What the two mistakes libyaml words least helpfully most likely were, from the lines
    /// at fault (a review, 2026-12-06): an unquoted `{date}` (`paths: [e-{date}.ndjson.gz]`
    /// is "did not find expected ',' or ']'") and a tab in the indentation ("found character
    /// that cannot start any token"). Empty when neither line holds one.
    static func hint(lines: [Int], in text: String) -> String {
        guard !text.isEmpty else { return "" }
        let fileLines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let atFault = Set(lines).compactMap { $0 >= 1 && $0 <= fileLines.count ? fileLines[$0 - 1] : nil }
        if atFault.contains(where: { $0.prefix { $0 == " " || $0 == "\t" }.contains("\t") }) {
            return "; the line is indented with a tab, and YAML indents with spaces only"
        }
        if atFault.contains(where: { $0.contains("{date") }) {
            return "; a value holding {date} must be quoted: paths: [\"logs/access-{date}.log.gz\"]"
        }
        return ""
    }
}
