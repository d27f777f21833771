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

    /// Every key a pipeline writes begins with one of these: its sessions' two namespaces and
    /// each name of its bookkeeping, not the whole `funnel:` namespace, which a pipeline
    /// without a prefix shares with one whose prefix is `funnel:` (rv73d: that pipeline's
    /// keys counted as the first's own, and the first's rebuild swapped them away).
    public var ownedPrefixes: [String] {
        [prefix + Self.sessionPrefix, prefix + Self.eventsPrefix] + Self.bookkeepingNames.map(bookkeepingKey)
    }

    /// The names of funnel's bookkeeping keys under `funnel:` (each a key or the beginning
    /// of keys): the history's (`RedisHistoryStore`), the run's lock and journal, a rebuild's
    /// marker, and `gvisitor:` of versions before 2026-12-01. A key the code writes that is
    /// not here would make a Redis rebuild refuse its own database (its tests would fail).
    static let bookkeepingNames = ["rec:", "eid:", "visitor:", "vgroups:", "vsess:", "keyfilter", "unfinished", "generation",
                                   "settings", "needs_rebuild", "lock", "rebuild", "sent", "gvisitor:"]

    /// Why a key prefix is refused: one that puts a pipeline's keys among another's. A prefix
    /// holding `sess:` puts them in the session namespace of the pipeline whose prefix is what
    /// comes before it (a consumer's `SCAN` of `sess:*` sums them, and that pipeline's rebuild
    /// takes them for its own); one ending in `events:` makes its session hashes the events
    /// keys of the pipeline whose prefix is what comes before (`events:` + `sess:ID`, a list
    /// turned into a hash). Nil for a prefix without either (rv73d: both exit 0 before
    /// 2026-12-06).
    public static func refusal(ofPrefix prefix: String) -> String? {
        func pipeline(_ before: Substring) -> String { before.isEmpty ? "a pipeline without a prefix" : "a pipeline whose prefix is '\(before)'" }
        if let found = prefix.firstRange(of: sessionPrefix) {
            return "holds 'sess:', which puts this pipeline's keys among the sessions of \(pipeline(prefix[..<found.lowerBound]))"
        }
        if prefix.hasSuffix("events:") {
            return "ends with 'events:', which makes this pipeline's session hashes the events keys of \(pipeline(prefix.dropLast("events:".count)))"
        }
        return nil
    }

    static let sessionPrefix = "sess:"
    static let eventsPrefix = "events:sess:"
    static let bookkeepingPrefix = "funnel:"

    private func tagged(_ id: String) -> String { hashTags ? "{" + id + "}" : id }
}
