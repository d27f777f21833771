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

    /// Whether a key is one this pipeline writes: its sessions' two namespaces and its
    /// bookkeeping's own names under `funnel:`, not the whole of `funnel:`, which a pipeline
    /// without a prefix shares with one whose prefix is `funnel:` (rv73d: that pipeline's keys
    /// counted as the first's own, and the first's rebuild swapped them away), nor a name's
    /// longer relatives (`funnel:settings:theme` is another application's; rv73f).
    public func owns(_ key: [UInt8]) -> Bool {
        let head = Array(prefix.utf8)
        guard key.starts(with: head) else { return false }
        let rest = key.dropFirst(head.count)
        if rest.starts(with: Self.sessionPrefix.utf8) || rest.starts(with: Self.eventsPrefix.utf8) { return true }
        guard rest.starts(with: Self.bookkeepingPrefix.utf8) else { return false }
        let name = rest.dropFirst(Self.bookkeepingPrefix.utf8.count)
        return Self.bookkeepingNames.contains { $0.hasSuffix(":") ? name.starts(with: $0.utf8) : name.elementsEqual($0.utf8) }
    }

    /// The names of funnel's bookkeeping keys under `funnel:`: a name ending in `:` begins
    /// keys (one per group, visitor, event id), any other is one key. The history's
    /// (`RedisHistoryStore`), the run's lock and journal, a rebuild's marker, and `gvisitor:`
    /// of versions before 2026-12-01. A key the code writes that is not here would make a
    /// Redis rebuild refuse its own database (its tests would fail).
    static let bookkeepingNames = ["rec:", "eid:", "visitor:", "vgroups:", "vsess:", "gvisitor:", "keyfilter", "keyfilter:keys", "unfinished",
                                   "generation", "settings", "needs_rebuild", "lock", "rebuild", "sent"]

    /// The prefix of the pipeline among whose keys this prefix puts its own, if any. A prefix
    /// holding `sess:` puts them in the session namespace of the pipeline whose prefix is what
    /// comes before it (a consumer's `SCAN` of `sess:*` sums them, and that pipeline's rebuild
    /// takes them for its own); one ending in `events:` makes its session hashes the events
    /// keys of the pipeline whose prefix is what comes before (`events:` + `sess:ID`, a list
    /// turned into a hash). Such a prefix is said when the pipeline loads and refused by a run
    /// into a Redis that holds that pipeline's history (rv73d; exit 0 before 2026-12-06).
    public var collidingPrefix: String? {
        if let found = prefix.firstRange(of: Self.sessionPrefix) { return String(prefix[..<found.lowerBound]) }
        if prefix.hasSuffix("events:") { return String(prefix.dropLast("events:".count)) }
        return nil
    }

    /// Why `collidingPrefix` is one, for a message.
    public var collision: String? {
        guard let other = collidingPrefix else { return nil }
        let pipeline = other.isEmpty ? "a pipeline without a prefix" : "a pipeline whose prefix is '\(other)'"
        return prefix.contains(Self.sessionPrefix)
            ? "holds 'sess:', which puts this pipeline's keys among the sessions of \(pipeline)"
            : "ends with 'events:', which makes this pipeline's session hashes the events keys of \(pipeline)"
    }

    static let sessionPrefix = "sess:"
    static let eventsPrefix = "events:sess:"
    static let bookkeepingPrefix = "funnel:"

    private func tagged(_ id: String) -> String { hashTags ? "{" + id + "}" : id }
}
