import FunnelCore

/// What the `device_type` and `browser` fields and the bot filter know of one user agent.
public struct UserAgentInfo: Sendable, Hashable {
    public var deviceType: DeviceType
    public var browser: Browser
    public var isBot: Bool

    public init(deviceType: DeviceType, browser: Browser, isBot: Bool) {
        self.deviceType = deviceType
        self.browser = browser
        self.isBot = isBot
    }

    /// What a missing or empty agent gives: some privacy tools strip the header, and the
    /// record still identifies its visitor by IP, so it is kept as a person.
    public static let unknown = UserAgentInfo(deviceType: .desktop, browser: .other, isBot: false)
}

/// Classifies user agents for SPEC 3 (bots) and SPEC 5 (`device_type`, `browser`).
///
/// Real traffic repeats a few thousand agents millions of times, so results are cached per
/// distinct agent string. The cache keeps recent agents only (`cacheLimit` agents or 4 MiB of
/// them per generation), so input made of ever-new agents cannot grow it. Not thread-safe:
/// each stage owns its own classifier.
public final class UserAgentClassifier {
    public static let defaultCacheLimit = 16_384

    private let extraBotPatterns: TokenSet
    private var cache: RecentCache<UserAgentInfo>
    /// The agent asked last and its answer: the reader asks about every access-log line's
    /// agent twice (the bot filter, then normalization), with the same string.
    private var last: (agent: String, info: UserAgentInfo)?
    /// Recent agents by the hash of their bytes (`classify(bytes:)`): a line's agent found
    /// here is neither made a string again nor looked up in `cache`.
    private var slots = RecentSlots<(agent: String, info: UserAgentInfo)>()

    /// At most this many agents' strings (100 to 200 bytes each) are held in `slots`.
    static var slotCount: Int { RecentSlots<(agent: String, info: UserAgentInfo)>.count }

    /// `extraBotPatterns` are the pipeline's own bot patterns, matched case-insensitively
    /// anywhere in the agent, on top of the built-in ones.
    public convenience init(extraBotPatterns: [String] = []) {
        self.init(extraBotPatterns: extraBotPatterns, cacheLimit: Self.defaultCacheLimit)
    }

    init(extraBotPatterns: [String], cacheLimit: Int) {
        self.extraBotPatterns = TokenSet(extraBotPatterns.map { Token($0) })
        cache = RecentCache(entryLimit: cacheLimit, byteLimit: 4 << 20)
    }

    public func classify(_ userAgent: String?) -> UserAgentInfo {
        guard let userAgent, !userAgent.isEmpty else { return .unknown }
        if let last, last.agent == userAgent { return last.info }
        let info = cache.value(for: userAgent) {
            let text = AgentText(userAgent)
            return UserAgentInfo(
                deviceType: DeviceType.detect(in: text),
                browser: Browser.detect(in: text),
                isBot: text.looksAutomated(extra: extraBotPatterns)
            )
        }
        last = (userAgent, info)
        return info
    }

    /// A line's agent still in bytes: the string a record would hold
    /// (`String(decoding:as:)`, invalid UTF-8 repaired) and what `classify` says of it.
    /// The byte path asks this for every page view it takes; answered from `slots`, a
    /// repeated agent costs a hash of its bytes and a comparison, where making its string
    /// and looking that up cost about 1,500 instructions a line (callgrind, 2026-12-02).
    public func classify(bytes: UnsafeBufferPointer<UInt8>) -> (agent: String, info: UserAgentInfo) {
        let hash = RecentSlots<(agent: String, info: UserAgentInfo)>.hash(bytes)
        if let found = slots.entry(for: hash, where: { Self.holds($0.agent, bytes) }) {
            if !found.agent.isEmpty { last = found }
            return found
        }
        let agent = String(decoding: bytes, as: UTF8.self)
        let info = classify(agent)
        slots.store((agent, info), for: hash)
        return (agent, info)
    }

    /// Whether `agent`'s UTF-8 is `bytes` (never, for an agent whose bytes were repaired).
    private static func holds(_ agent: String, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var agent = agent
        return agent.withUTF8 { sameBytes($0, bytes) }
    }

    public func isBot(_ userAgent: String?) -> Bool {
        classify(userAgent).isBot
    }

    /// Whether a bot's agent is one a site's server may send a visitor's event with: an HTTP
    /// library or a service's webhook (`python-requests/2.31`, `Stripe/1.0
    /// (+https://stripe.com/docs/webhooks)`), not a browser (a headless one included: its
    /// agent begins `Mozilla/`), a crawler, a link previewer, a monitor or one of the
    /// pipeline's own bot patterns (`RecordFilter.isRelayedOutcome`; a review found a headless
    /// browser's test purchase and Googlebot's consent kept by the first rule).
    public func isServerRelay(_ userAgent: String?) -> Bool {
        guard let userAgent, isBot(userAgent) else { return false }
        let text = AgentText(String(userAgent.drop { $0 == " " }))
        return !text.hasPrefix("mozilla") && !text.containsAny(BotPatterns.notRelays) && !text.containsAny(extraBotPatterns)
    }

    /// How many distinct agents the cache holds (for tests).
    var cachedAgentCount: Int { cache.count }
}
