import FunnelCore

/// Decides which records are kept (SPEC 1.1 page-view rule, SPEC 3 filtering).
///
/// An access-log line is kept when it is a page view: GET, status below 400, not a static
/// asset, not an excluded path, not a bot. A client event is kept unless its agent is a bot,
/// but a known visitor's Purchase or Consent, which a server may have relayed.
public final class RecordFilter {
    /// SPEC 1.1's list and the media a film's site serves beside it: video segments and
    /// manifests (`.m4s`, `.mpd`), subtitles, audio, other images and the web app manifest
    /// (these were page views until 2026-12-06, each trailer segment one; a review).
    public static let staticExtensions: Set<String> = [
        "css", "js", "mjs", "map", "png", "jpg", "jpeg", "gif", "svg", "webp", "avif", "ico", "woff", "woff2",
        "ttf", "eot", "otf", "mp4", "webm", "m3u8", "ts", "txt", "xml", "json",
        "m4s", "mpd", "m4v", "mov", "mkv", "ogv", "vtt", "srt", "mp3", "m4a", "aac", "ogg", "oga", "opus", "wav",
        "flac", "bmp", "tif", "tiff", "heic", "heif", "jxl", "apng", "cur", "wasm", "webmanifest",
    ]

    /// The classifier the bot rule uses (with the pipeline's bot patterns); it remembers the
    /// last agent it answered for, so a `Transformer` on the same thread can share it.
    public let agents: UserAgentClassifier
    private let excludedPaths: [PathPattern]

    public init(botPatterns: [String] = [], excludedPaths: [String] = []) {
        agents = UserAgentClassifier(extraBotPatterns: botPatterns)
        self.excludedPaths = excludedPaths.map(PathPattern.init)
    }

    /// Why the record is dropped, or nil when it is kept: the request's checks for an
    /// access-log line (`requestReason`), then the agent's (`agentReason`).
    public func reason(toDrop record: Record) -> FilterReason? {
        if record.origin == .accessLog, let reason = requestReason(isGET: record.method == "GET", status: record.status, path: record.path) {
            return reason
        }
        return reasonAfterRequest(record)
    }

    /// What is left of the rule for a record whose request passed `requestReason` (an
    /// access-log line read with it as the parser's request filter) or that has none (a
    /// client event): a client PageView of an excluded path (`filters.exclude_paths` are
    /// paths that are never page views, whoever reports them; until 2026-12-05 only log
    /// lines were checked), then the agent.
    public func reasonAfterRequest(_ record: Record) -> FilterReason? {
        if record.origin == .client, !excludedPaths.isEmpty, record.event == "PageView", let path = record.path, isExcluded(path) {
            return .excludedPath
        }
        let reason = agentReason(record)
        return reason == .bot && isRelayedOutcome(record) ? nil : reason
    }

    /// A client's Purchase or Consent event of a known visitor or client session whose agent
    /// is a server's (an HTTP library, a webhook: `UserAgentClassifier.isServerRelay`), which
    /// the agent check keeps: such an event is often sent by the site's server (a payment
    /// webhook, a server-side tracker) with its own agent (`Stripe/1.0
    /// (+https://stripe.com/...)`, `python-requests`), and dropping it lost a donation or a
    /// visitor's "denied" (until 2026-12-06; a review). A headless browser's, a crawler's or a
    /// monitor's is dropped as before. The reader then takes the server's agent off the event
    /// (`withoutRelayAgent`): it is not the visitor's device.
    public func isRelayedOutcome(_ record: Record) -> Bool {
        record.origin == .client && (record.event == "Purchase" || record.event == "Consent")
            && (record.visitorID != nil || record.sessionID != nil) && agents.isServerRelay(record.userAgent)
    }

    /// `record` without its agent when it is a relayed outcome (`isRelayedOutcome`): the
    /// server's agent would have given the session its device and browser.
    public func withoutRelayAgent(_ record: inout Record) {
        if isRelayedOutcome(record) { record.userAgent = nil }
    }

    /// The rule's last check, for a record whose request already passed `requestReason` (an
    /// access-log line read with it as the parser's request filter) or that has none.
    public func agentReason(_ record: Record) -> FilterReason? {
        agentReason(userAgent: record.userAgent)
    }

    /// The same for a line's agent, as a record would hold it.
    public func agentReason(userAgent: String?) -> FilterReason? {
        agents.isBot(userAgent) ? .bot : nil
    }

    /// The same for a line's agent still in bytes, with the string a record would hold
    /// for it (for the encoder), made only when `agents` has not seen those bytes lately.
    public func agentReason(userAgent bytes: UnsafeBufferPointer<UInt8>?) -> (reason: FilterReason?, userAgent: String?) {
        guard let bytes else { return (agentReason(userAgent: nil), nil) }
        let (agent, info) = agents.classify(bytes: bytes)
        return (info.isBot ? .bot : nil, agent)
    }

    /// The page-view rule's checks that need only the request: why a request with this
    /// method, status and path is not a page view, or nil. Readers apply it to an access-log
    /// line before it becomes a record (`AccessLogParser.RequestFilter`), whose strings then
    /// need not be made for the lines it drops (static files, mostly).
    public func requestReason(isGET: Bool, status: Int?, path: String?) -> FilterReason? {
        guard var path else { return requestReason(isGET: isGET, status: status, path: nil as UnsafeBufferPointer<UInt8>?) }
        return path.withUTF8 { requestReason(isGET: isGET, status: status, path: $0) }
    }

    /// The same for a path still in bytes (an access-log line's, as its record would hold
    /// it): a string is made only to match `filters.exclude_paths`, when the pipeline has any.
    public func requestReason(isGET: Bool, status: Int?, path: UnsafeBufferPointer<UInt8>?) -> FilterReason? {
        guard isGET else { return .notGet }
        guard let status, status < 400 else { return .errorStatus }
        guard let path else { return .notGet }
        if Self.isStaticAsset(path) { return .staticAsset }
        return excludes(path: path) ? .excludedPath : nil
    }

    /// Whether `filters.exclude_paths` names a path still in bytes (an access-log line's, or
    /// a client page view's read by `NDJSONParser.clientEvent`; empty bytes are the record's
    /// `/`): a string is made only when the pipeline has any.
    public func excludes(path: UnsafeBufferPointer<UInt8>) -> Bool {
        !excludedPaths.isEmpty && isExcluded(path.isEmpty ? "/" : String(decoding: path, as: UTF8.self))
    }

    /// Whether `filters.exclude_paths` names the path.
    private func isExcluded(_ path: String) -> Bool {
        excludedPaths.contains { $0.matches(path) }
    }

    /// By extension of the last path segment, case-insensitive; plus robots.txt and favicon.ico.
    public static func isStaticAsset(_ path: String) -> Bool {
        var path = path
        return path.withUTF8 { isStaticAsset($0) }
    }

    /// The same on the path's bytes: the extension (at most 5 bytes) folded to ASCII lower
    /// case and packed into one word, looked up among the static ones.
    public static func isStaticAsset(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var start = bytes.count
        while start > 0 && bytes[start - 1] != UInt8(ascii: "/") { start -= 1 }
        var dot = bytes.count
        while dot > start && bytes[dot - 1] != UInt8(ascii: ".") { dot -= 1 }
        guard dot > start, bytes.count - dot <= 5 else { return isWebManifest(UnsafeBufferPointer(rebasing: bytes[start...])) }
        return staticKeys.contains(extensionKey(UnsafeBufferPointer(rebasing: bytes[dot...])))
    }

    /// `.webmanifest`, the one extension longer than a key holds, compared in lower case.
    private static func isWebManifest(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        let suffix = ".webmanifest".utf8
        guard name.count >= suffix.count else { return false }
        return zip(name.suffix(suffix.count), suffix).allSatisfy { ($0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0) == $1 }
    }

    private static let staticKeys: Set<UInt64> = Set(staticExtensions.filter { $0.utf8.count <= 5 }.map { name in
        var name = name
        return name.withUTF8 { extensionKey($0) }
    })

    /// Up to 5 bytes, ASCII letters folded to lower case, with the length in the top byte.
    private static func extensionKey(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var key: UInt64 = 0
        for byte in bytes {
            key = key << 8 | UInt64(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
        }
        return key | UInt64(bytes.count) << 56
    }
}
