import Yams

/// The line of each key path of a pipeline file (`sources[1].format`, `sessions.timeout`), so
/// that a message naming a key path names its line too.
///
/// A pipeline file's messages name the key (`sources[1].kind is 'csv'`), which is enough in
/// the ten-line example and not in a file of many sources: the line takes an editor to it.
/// The paths are those the loader's messages spell, so the line is found from the message
/// itself and no check of the loader has to carry a position.
struct PipelineLines {
    private var lines: [String: Int] = [:]

    init(_ root: Node) {
        walk(root, path: "")
    }

    private mutating func walk(_ node: Node, path: String) {
        switch node {
        case .mapping(let mapping):
            for (key, value) in mapping {
                guard let name = key.string else { continue }
                let entry = path.isEmpty ? name : path + "." + name
                // The key's line: a block value (a list, a folded format) starts below it.
                if let line = key.mark?.line { lines[entry] = line }
                walk(value, path: entry)
            }
        case .sequence(let sequence):
            for (index, item) in sequence.enumerated() {
                let entry = "\(path)[\(index)]"
                if let line = item.mark?.line { lines[entry] = line }
                walk(item, path: entry)
            }
        default:
            break
        }
    }

    /// The line of `path`, else of the nearest enclosing path the file writes (a missing
    /// `sources[0].kind` is said at `sources[0]`); nil for a path the file does not hold.
    func line(of path: String) -> Int? {
        var path = Substring(path)
        while !path.isEmpty {
            if let line = lines[String(path)] { return line }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { return nil }
            path = path[..<cut]
        }
        return nil
    }

    /// `error` with the line of the key path its message names after `file: `, as
    /// `file: line N: ...`; unchanged when it names none the file holds.
    func locate(_ error: PipelineError, file: String) -> PipelineError {
        let prefix = file + ": "
        guard error.description.hasPrefix(prefix) else { return error }
        let rest = error.description.dropFirst(prefix.count)
        guard let path = Self.keyPath(in: rest), let line = line(of: path) else { return error }
        var located = error
        located.description = "\(prefix)line \(line): \(rest)"
        return located
    }

    /// The key path a loader message starts with (`sink.kind 'x' is ...`), or the unknown key
    /// it quotes (`'timout' is not a known key in sessions`).
    static func keyPath(in message: Substring) -> String? {
        let unknown = "' is not a known key in "
        if message.hasPrefix("'"), let quote = message.range(of: unknown) {
            let name = message[message.index(after: message.startIndex)..<quote.lowerBound]
            let owner = message[quote.upperBound...].prefix { $0 != " " }
            return message[quote.upperBound...].hasPrefix("the top level") ? String(name) : "\(owner).\(name)"
        }
        let path = message.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." || $0 == "[" || $0 == "]" }
        let trimmed = path.hasSuffix(".") ? path.dropLast() : path
        return trimmed.isEmpty ? nil : String(trimmed)
    }
}
