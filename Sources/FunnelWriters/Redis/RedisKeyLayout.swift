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

    /// Whose a key is, by its name: this pipeline's when it is in its sessions' two
    /// namespaces or among its bookkeeping's own names under `funnel:` (not the whole of
    /// `funnel:`, which a pipeline without a prefix shares with one whose prefix is `funnel:`;
    /// rv73d: that pipeline's keys counted as the first's own, and the first's rebuild swapped
    /// them away), and not a name's longer relatives (`funnel:settings:theme` is another
    /// application's; rv73f).
    public enum Owner: Sendable, Equatable {
        case this, other
        /// Named as another pipeline's count of committed runs (`<its prefix>funnel:generation`)
        /// and as one of this pipeline's keys: a session, its events or a visitor whose id
        /// ends in `funnel:generation`, which SPEC 11 lets a client send (rv75b: the id
        /// `funnel:generation` made every later run and rebuild refuse the database). The
        /// value tells (`holdsCountOfRuns`).
        case thisUnlessACountOfRuns
    }

    public func owner(of key: [UInt8]) -> Owner {
        // (Over the UTF-8 views, which make no array: a rebuild asks it of every key of two
        // databases.)
        guard key.starts(with: prefix.utf8) else { return .other }
        // Another pipeline's history under a prefix that begins with this one's (`sess:`,
        // `events:`): its count of committed runs tells it, whatever namespace of this one's
        // it lies in (rv73i: a pipeline without a prefix took every key of a `sess:` one's
        // for its own, and its rebuild swapped them away).
        let generation = Self.generationKey.utf8
        let countOfRuns = key.count > prefix.utf8.count + generation.count && key.suffix(generation.count).elementsEqual(generation)
        let rest = key.dropFirst(prefix.utf8.count)
        if rest.starts(with: Self.sessionPrefix.utf8) || rest.starts(with: Self.eventsPrefix.utf8) {
            return countOfRuns ? .thisUnlessACountOfRuns : .this
        }
        guard rest.starts(with: Self.bookkeepingPrefix.utf8) else { return .other }
        let name = rest.dropFirst(Self.bookkeepingPrefix.utf8.count)
        guard Self.bookkeepingNames.contains(where: { $0.hasSuffix(":") ? name.starts(with: $0.utf8) : name.elementsEqual($0.utf8) }) else { return .other }
        return countOfRuns ? .thisUnlessACountOfRuns : .this
    }

    /// Whether `key`, named as a count of committed runs, holds one (`GET`): a decimal number,
    /// which is all `RedisHistoryStore` writes there. A session's hash or events answer
    /// WRONGTYPE, a visitor's row is no number; a refusal (an ACL) is taken for a count, which
    /// keeps a run or a rebuild from a database it could not look at; a server saying "not
    /// now" (LOADING, BUSY) is thrown, for the caller's retries.
    public static func holdsCountOfRuns(_ key: [UInt8], on connection: RedisConnection) throws(RedisError) -> Bool {
        let reply = try connection.command([Array("GET".utf8), key])
        if case .error(let message) = reply { try RedisError.throwIfTransient(message, message) }
        return switch reply {
        case .string(let bytes): !bytes.isEmpty && bytes.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        case .error(let message): !message.hasPrefix("WRONGTYPE")
        default: false
        }
    }

    /// The names of funnel's bookkeeping keys under `funnel:`: a name ending in `:` begins
    /// keys (one per group, visitor, event id), any other is one key. The history's
    /// (`RedisHistoryStore`), the run's lock and journal, a rebuild's marker, and `gvisitor:`
    /// of versions before 2026-12-01, `keyfilter:dbsize` of versions of 2026-11-30 (rv73i). A
    /// key the code writes that is not here would make a
    /// Redis rebuild refuse its own database (its tests would fail).
    static let bookkeepingNames = ["rec:", "eid:", "visitor:", "vgroups:", "vsess:", "gvisitor:", "keyfilter", "keyfilter:keys", "keyfilter:dbsize", "unfinished",
                                   "generation", "settings", "needs_rebuild", "lock", "rebuild", "sent"]

    /// The prefixes of the pipelines whose keys this one's would mix with, in either
    /// direction: a prefix holding `sess:` puts this pipeline's keys in the session namespace
    /// of the pipeline whose prefix is what comes before it (a consumer's `SCAN` of `sess:*`
    /// sums them); one holding `events:sess:` in its events namespace; one ending in
    /// `events:` makes its session hashes the events keys of the pipeline whose prefix is
    /// what comes before. And the other way round, the pipelines whose prefix is this one's
    /// followed by `sess:` or `events:` (rv73i: a pipeline without a prefix run after an
    /// `events:` one turned that one's hashes into sorted sets, exit 0). A run into a Redis
    /// that holds the history of any of them is refused (`RunLock`; rv73d, rv73h).
    public var neighbourPrefixes: [String] {
        var found: [String] = []
        for marker in [Self.sessionPrefix, Self.eventsPrefix] {
            var rest = prefix[...]
            while let range = rest.firstRange(of: marker) {
                found.append(String(prefix[..<range.lowerBound]))
                rest = prefix[range.upperBound...]
            }
        }
        if prefix.hasSuffix("events:") { found.append(String(prefix.dropLast("events:".count))) }
        found += [prefix + Self.sessionPrefix, prefix + "events:", prefix + Self.eventsPrefix]
        var seen = Set<String>()
        return found.filter { $0 != prefix && seen.insert($0).inserted }
    }

    /// Why this prefix is one whose keys mix with a pipeline's of another prefix, for a load
    /// warning; nil for a prefix that holds neither `sess:` nor ends with `events:` (the other
    /// direction is told by the run, which sees the other pipeline's history).
    public var collision: String? {
        if let found = prefix.firstRange(of: Self.sessionPrefix) {
            let other = prefix[..<found.lowerBound]
            return "holds 'sess:', which puts this pipeline's keys among the keys of \(other.isEmpty ? "a pipeline without a prefix" : "a pipeline whose prefix is '\(other)'")"
        }
        if prefix.hasSuffix("events:") {
            let other = prefix.dropLast("events:".count)
            return "ends with 'events:', which makes this pipeline's session hashes the events keys of \(other.isEmpty ? "a pipeline without a prefix" : "a pipeline whose prefix is '\(other)'")"
        }
        return nil
    }

    /// The history's count of committed runs (`RedisHistoryStore`), after the prefix.
    static let generationKey = bookkeepingPrefix + "generation"

    static let sessionPrefix = "sess:"
    static let eventsPrefix = "events:sess:"
    static let bookkeepingPrefix = "funnel:"

    private func tagged(_ id: String) -> String { hashTags ? "{" + id + "}" : id }
}
