/// A path pattern from the pipeline's `filters.exclude_paths`: `*` matches any run of
/// characters, `/` included, so `/api/*` excludes `/api/v1/donations`.
public struct PathPattern: Sendable, Hashable {
    public let text: String
    private let parts: [Substring]

    public init(_ text: String) {
        self.text = text
        parts = text.split(separator: "*", omittingEmptySubsequences: false)
    }

    public func matches(_ path: String) -> Bool {
        guard parts.count > 1 else { return path == text }
        var rest = Substring(path)
        guard rest.hasPrefix(parts[0]) else { return false }
        rest = rest.dropFirst(parts[0].count)
        for part in parts.dropFirst().dropLast() where !part.isEmpty {
            guard let range = rest.firstRange(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        return rest.hasSuffix(parts[parts.count - 1])
    }
}
