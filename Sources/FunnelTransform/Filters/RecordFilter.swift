import FunnelCore

/// Decides which records are kept (SPEC 1.1 page-view rule, SPEC 3 filtering).
///
/// An access-log line is kept when it is a page view: GET, status below 400, not a static
/// asset, not an excluded path, not a bot. A client event is kept unless its agent is a bot.
public final class RecordFilter {
    public static let staticExtensions: Set<String> = [
        "css", "js", "mjs", "map", "png", "jpg", "jpeg", "gif", "svg", "webp", "avif", "ico", "woff", "woff2",
        "ttf", "eot", "otf", "mp4", "webm", "m3u8", "ts", "txt", "xml", "json",
    ]

    private let agents: UserAgentClassifier
    private let excludedPaths: [PathPattern]

    public init(botPatterns: [String] = [], excludedPaths: [String] = []) {
        agents = UserAgentClassifier(extraBotPatterns: botPatterns)
        self.excludedPaths = excludedPaths.map(PathPattern.init)
    }

    /// Why the record is dropped, or nil when it is kept.
    public func reason(toDrop record: Record) -> FilterReason? {
        if record.origin == .accessLog {
            guard record.method == "GET" else { return .notGet }
            guard let status = record.status, status < 400 else { return .errorStatus }
            guard let path = record.path else { return .notGet }
            if Self.isStaticAsset(path) { return .staticAsset }
            if excludedPaths.contains(where: { $0.matches(path) }) { return .excludedPath }
        }
        return agents.isBot(record.userAgent) ? .bot : nil
    }

    /// By extension of the last path segment, case-insensitive; plus robots.txt and favicon.ico.
    public static func isStaticAsset(_ path: String) -> Bool {
        let segment = path.utf8.lastIndex(of: UInt8(ascii: "/")).map { path[path.utf8.index(after: $0)...] } ?? Substring(path)
        guard let dot = segment.utf8.lastIndex(of: UInt8(ascii: ".")) else { return false }
        let ext = segment[segment.utf8.index(after: dot)...]
        guard ext.utf8.count <= 5 else { return false }
        return staticExtensions.contains(ext.lowercased())
    }
}
