/// A path pattern from the pipeline's `filters.exclude_paths`: `*` matches any run of
/// characters, `/` included, so `/api/*` excludes `/api/v1/donations`.
public struct PathPattern: Sendable, Hashable {
    public let text: String
    private let parts: [Substring]
    /// For a pattern ending `/*`, the path before it (`/api` of `/api/*`), which it matches too.
    private let folder: Substring?

    public init(_ text: String) {
        self.text = text
        parts = text.split(separator: "*", omittingEmptySubsequences: false)
        folder = text.hasSuffix("/*") ? text.dropLast(2) : nil
    }

    /// `/api/*` matches `/api` too, and a path with a trailing `/` matches as without it
    /// (`/healthz/` for `/healthz`): until 2026-12-06 each was kept as a page view (a review).
    public func matches(_ path: String) -> Bool {
        if matchesExactly(path) { return true }
        if path.utf8.count > 1, path.utf8.last == UInt8(ascii: "/"), matchesExactly(String(path.dropLast())) { return true }
        return folder.map { path == $0 } ?? false
    }

    private func matchesExactly(_ path: String) -> Bool {
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
