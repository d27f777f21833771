import Yams

/// What is wrong with a pipeline file that is not YAML, in words that quote none of it.
///
/// Yams's own description copies the file's text around the fault (the line for a scanner's
/// error, the whole mapping for a duplicate key), and a pipeline file may hold a Redis
/// password in `sink.url` and the identity salt: until 2026-12-05 both reached stderr and
/// `--summary-json`. The position and the problem are enough to find the fault.
enum YAMLProblem {
    static func text(of error: any Error) -> String {
        guard let error = error as? YamlError else { return "the file cannot be read as YAML" }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            // libyaml's context is its own phrase ("while scanning a simple key"), never the file's.
            let during = context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""
            return "line \(mark.line), column \(mark.column): \(problem)\(during)"
        case let .reader(problem, _, _, _):
            return problem
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return "line \(context.mark.line): \(duplicates.count == 1 ? "the key \(keys) is" : "the keys \(keys) are") given twice in one mapping; keep one"
        default:
            return "the file cannot be read as YAML"
        }
    }
}
