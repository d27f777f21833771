import FunnelCore

/// Key names of a session (SPEC 8.1): `sess:<id>` for the hash, `events:sess:<id>` for the
/// events, after an optional prefix.
///
/// With `hashTags`, the id is wrapped in literal braces (`sess:{id}`, `events:sess:{id}`) so
/// Redis Cluster hashes both keys to the same slot, which `MULTI`/`EXEC` over two keys needs
/// there. Session ids never contain braces (SPEC 11), so the tag is exactly the id.
public struct RedisKeyLayout: Sendable, Hashable {
    public var prefix: String
    public var hashTags: Bool

    public init(prefix: String = "", hashTags: Bool = false) {
        self.prefix = prefix
        self.hashTags = hashTags
    }

    /// The hash of a session's fields.
    public func sessionKey(_ id: String) -> String { prefix + Self.sessionPrefix + tagged(id) }

    /// The list (or sorted set) of a session's events.
    public func eventsKey(_ id: String) -> String { prefix + Self.eventsPrefix + tagged(id) }

    /// A key of funnel's own bookkeeping (`funnel:lock`, `funnel:sent`, the history's
    /// `funnel:rec:...`): one namespace beside the sessions', so that what a pipeline owns in
    /// a database is known in one place (a backfill's check for keys not its own lists it).
    public func bookkeepingKey(_ name: String) -> String { prefix + Self.bookkeepingPrefix + name }

    /// Every key a pipeline writes begins with one of these.
    public var ownedPrefixes: [String] { [Self.sessionPrefix, Self.eventsPrefix, Self.bookkeepingPrefix].map { prefix + $0 } }

    static let sessionPrefix = "sess:"
    static let eventsPrefix = "events:sess:"
    static let bookkeepingPrefix = "funnel:"

    private func tagged(_ id: String) -> String { hashTags ? "{" + id + "}" : id }
}
