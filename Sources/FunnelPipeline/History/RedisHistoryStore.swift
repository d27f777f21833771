import FunnelCore
import FunnelWriters

/// The history of the Redis sink, kept in the same Redis under `<prefix>funnel:` keys:
/// `funnel:rec:<group>` (hash: the first position of the records a flush added to the group ->
/// those records, one `RecordCoding` record or a `RecordCoding.block`; histories written
/// before 2026-12-01 hold one field per record), `funnel:eid:<event id>` (set of
/// position/group) and `funnel:visitor:<visitor>` (string: the visitor's `VisitorRow`). Reads
/// and writes are pipelined. Older versions also kept `funnel:gvisitor:<group>` (a client
/// session's visitor, now derived from its records); those keys are left alone and never
/// read. Histories written before `VisitorRow` hold a visitor's groups and session ids in two
/// sets, `funnel:vgroups:<visitor>` and `funnel:vsess:<visitor>`: they are read when a
/// visitor has no row, and replaced by one when the visitor is next written.
///
/// `funnel:keyfilter` holds a Bloom filter of the stored groups, visitors and event ids
/// (see `KeyFilter`), so that lookups of keys never stored skip the server, and
/// `funnel:keyfilter:keys` the number of keys without a TTL in the database when it was saved
/// (history keys never expire; session keys that a TTL removes leave the number as it was). A
/// run deletes the filter before its first write and saves it at its end, so a run cut short
/// leaves none; a missing filter, or one saved for another number of keys (another program,
/// or an older funnel, wrote since), is built again with SCAN.
///
/// `funnel:settings` holds the settings the stored sessions were built with (`BuildSettings`),
/// `funnel:generation` the number of runs that committed (`storedGeneration`),
/// `funnel:needs_rebuild` why the stored sessions differ from one run (`storedRebuildNote`).
/// `funnel:unfinished` lists the runs that wrote to the history and did not finish, each as
/// the names of the input files it read: a run adds itself before its first write and, at
/// its end, takes off every run whose files it read again (which rebuilt every visitor those
/// runs touched). While the list is not empty, the history may hold records whose visitor
/// rows were never written, and a run does not leave out lines read again
/// (`holdsOnlyBuiltRecords`).
public final class RedisHistoryStore: HistoryStore {
    private let url: RedisURL
    private let prefix: String
    /// The heads of the history's keys, each followed by a group, an event id or a visitor.
    private let recordKey: String
    private let eventKey: String
    private let visitorKey: String
    private let retry: RedisRetryPolicy
    private let notice: RedisRetryNotice?
    private var connection: RedisConnection?
    private var filter: KeyFilter?
    /// The filter's bound (`Pipeline.keyFilterBytes`).
    private let keyFilterBytes: Int
    /// Whether this run has deleted the stored filter (it does before its first write).
    private var filterDeleted = false
    /// Whether the Redis user may not run `INFO` or `SCAN`: no filter is kept then.
    private var filterRefused = false
    /// Whether the Redis user may run `MGET` and `MSET` (nil until tried): visitor rows are
    /// read and written many to a command when it may, one `GET` or `SET` each when its ACL
    /// was set up before funnel used them (the README's line has them since 2026-12-02).
    private var mgetAllowed: Bool?
    private var msetAllowed: Bool?
    /// Whether the Redis user may run `HSCAN` (nil until tried; `storedPositions`).
    private var hscanAllowed: Bool?
    /// Visitors read from the sets of an older history: their sets go when their row is written.
    private var legacyVisitors = Set<String>()
    /// The last change's writes, sent but not yet confirmed, and the connection they were sent
    /// on (nil when sending failed): see `send(writes:)`.
    private var unconfirmed: (commands: RESPCommands, sentOn: RedisConnection?)?
    /// The names of the run's input files, sorted (`UnfinishedRuns`).
    private let runInputs: [String]
    /// The unfinished runs as the run found them, read before its first write.
    private var unfinished: UnfinishedRuns?
    /// Whether this run has added itself to the unfinished runs (at its first write).
    private var markedUnfinished = false
    /// The unfinished runs of other files left after this run's commit (`HistoryStore`).
    public private(set) var runsLeftUnfinished: [[String]] = []

    /// The key of the run's notes of the sessions it sends (`SentSessions`), deleted by
    /// `commit` once every write is confirmed and before the filter counts the keys.
    private let sentJournalKey: String?

    /// `notice` is told before each retry (see `RedisRetryPolicy.run`); `keyFilterBytes`
    /// bounds the key filter's memory; `runInputs` are the paths of the run's input files
    /// (without them the run never leaves out a line read again); `sentJournalKey` is
    /// `SentSessionsJournal`'s key.
    public init(url: RedisURL, prefix: String, keyFilterBytes: Int = Pipeline.defaultKeyFilterBytes, retry: RedisRetryPolicy = .standard,
                notice: RedisRetryNotice? = nil, runInputs: [String] = [], sentJournalKey: String? = nil) {
        self.runInputs = UnfinishedRuns.names(of: runInputs)
        self.sentJournalKey = sentJournalKey
        self.url = url
        self.keyFilterBytes = keyFilterBytes
        self.prefix = RedisKeyLayout(prefix: prefix).bookkeepingKey("")
        recordKey = self.prefix + "rec:"
        eventKey = self.prefix + "eid:"
        visitorKey = self.prefix + "visitor:"
        self.retry = retry
        self.notice = notice
    }

    /// Sends one command per distinct key the filter may hold, pipelined, and returns the
    /// replies.
    private func pipelined(_ keys: [String], _ kind: KeyFilter.Kind, _ command: (String) -> [[UInt8]]) throws(SinkError) -> [(String, RedisReply)] {
        let unique = try mayBeStored(keys, kind)
        return try send(unique.map(command)).enumerated().map { (unique[$0.offset], $0.element) }
    }

    /// The distinct keys of `keys` that the filter may hold: the only ones worth asking for.
    private func mayBeStored(_ keys: [String], _ kind: KeyFilter.Kind) throws(SinkError) -> [String] {
        let filter = try keyFilter()
        return filter.possible(kind, Array(Set(keys)))
    }

    // MARK: - Key filter

    private var filterKey: String { prefix + "keyfilter" }
    private var filterSizeKey: String { prefix + "keyfilter:keys" }

    /// Keys without a TTL in the run's database, from `INFO keyspace` (keys minus expires).
    private func persistentKeyCount() throws(SinkError) -> Int64 {
        let reply = try send([[b("INFO"), b("keyspace")]])[0]
        let text: String
        switch reply {
        case .string(let bytes): text = String(decoding: bytes, as: UTF8.self)
        case .status(let status): text = status
        default: throw SinkError("Redis history at \(url.redacted): unexpected reply to INFO keyspace")
        }
        let head = "db\(url.db):"
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix(head) {
            var keys: Int64 = 0, expires: Int64 = 0
            for field in line.dropFirst(head.count).split(separator: ",") {
                let pair = field.split(separator: "=")
                guard pair.count == 2, let value = Int64(pair[1]) else { continue }
                if pair[0] == "keys" { keys = value } else if pair[0] == "expires" { expires = value }
            }
            return keys - expires
        }
        return 0
    }

    /// The run's filter: the stored one if the database still holds the keys it was saved
    /// with, else one built from a SCAN of the history's keys. A Redis user not allowed
    /// `INFO` or `SCAN` gets none: every key is looked up, as before there was a filter. A
    /// stored filter that reached its bound in several parts (or a bound since raised) is
    /// built again as one part of the whole bound, as the SQLite history's is
    /// (`KeyFilter.shouldBeBuiltAgain`).
    private func keyFilter() throws(SinkError) -> KeyFilter {
        if let filter { return filter }
        if filterRefused { return KeyFilter.everything }
        let replies = try send([[b("GET"), b(filterKey)], [b("GET"), b(filterSizeKey)]])
        do throws(SinkError) {
            let count = try persistentKeyCount()
            var loaded: KeyFilter?
            if case .string(let bytes) = replies[0], case .string(let size) = replies[1], String(decoding: size, as: UTF8.self) == String(count) {
                loaded = KeyFilter(encoded: bytes, maximumBytes: keyFilterBytes)
            }
            if let stored = loaded, stored.shouldBeBuiltAgain {
                loaded = try scanKeys(capacity: .max)
            } else if loaded == nil {
                loaded = try scanKeys(capacity: KeyFilter.initialCapacity)
            }
            filter = loaded
            return loaded!
        } catch where error.commandUnavailable {
            filterRefused = true
            return KeyFilter.everything
        }
    }

    /// The heads of the history's keys (after the prefix's `funnel:`) whose rest is a key the
    /// filter holds, and its kind: what `scanKeys` builds a filter from.
    static let keyKinds: [(String, KeyFilter.Kind)] = [("rec:", .group), ("eid:", .event), ("visitor:", .visitor), ("vgroups:", .visitor),
                                                       ("vsess:", .visitor)]

    private func scanKeys(capacity: Int) throws(SinkError) -> KeyFilter {
        var built = KeyFilter(capacity: capacity, maximumBytes: keyFilterBytes)
        // SCAN's pattern is a glob: the prefix's own glob characters are escaped.
        var pattern: [UInt8] = []
        for byte in prefix.utf8 {
            if byte == UInt8(ascii: "*") || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "\\") {
                pattern.append(UInt8(ascii: "\\"))
            }
            pattern.append(byte)
        }
        pattern.append(UInt8(ascii: "*"))
        var cursor = "0"
        repeat {
            let reply = try send([[b("SCAN"), b(cursor), b("MATCH"), pattern, b("COUNT"), b("1000")]])[0]
            guard case .array(let parts) = reply, parts.count == 2, case .string(let next) = parts[0] else {
                throw SinkError("Redis history at \(url.redacted): unexpected reply to SCAN")
            }
            cursor = String(decoding: next, as: UTF8.self)
            for key in strings(parts[1]) {
                let name = String(decoding: key.dropFirst(prefix.utf8.count), as: UTF8.self)
                for (head, kind) in Self.keyKinds where name.hasPrefix(head) { built.insert(kind, String(name.dropFirst(head.count))) }
            }
        } while cursor != "0"
        return built
    }

    /// The open connection, or a new one.
    private func open() throws(RedisError) -> RedisConnection {
        if let connection { return connection }
        let connection = try RedisConnection(url: url)
        self.connection = connection
        return connection
    }

    /// Sends commands in order, pipelined in batches, and returns their replies. Every command
    /// here is a read or an idempotent write, so a batch cut by a fault is sent again whole.
    private func send(_ commands: [[[UInt8]]]) throws(SinkError) -> [RedisReply] {
        try confirmWrites()
        var result: [RedisReply] = []
        var start = 0
        while start < commands.count {
            let batch = commands[start..<min(start + 1000, commands.count)]
            result += try retry.run(url: url, reset: { connection = nil }, notice: notice) { () throws(RedisError) -> [RedisReply] in
                let connection = try open()
                for command in batch { try connection.append(command) }
                var replies: [RedisReply] = []
                for _ in batch { replies.append(try connection.readReply()) }
                // A server loading its data or busy in a script says "not now": the batch is
                // sent again (until 2026-12-06 such a reply failed the run at once; a review).
                for case .error(let message) in replies {
                    try RedisError.throwIfTransient(message, "Redis history at \(url.redacted): \(message)")
                }
                return replies
            }
            start += 1000
        }
        // The command and its key named (a review: a NOPERM on a key the user's ACL did not
        // list said only "no permissions to access one of the keys").
        for (command, reply) in zip(commands, result) {
            if case .error(let message) = reply {
                let what = command.prefix(2).map { String(decoding: $0, as: UTF8.self) }
                throw SinkError("Redis history at \(url.redacted): refused \(what[0])\(what.count > 1 ? " of \(what[1])" : ""): \(RedisError.advised(message))", redisReply: message)
            }
        }
        return result
    }

    /// Sends writes already in wire form, pipelined, without waiting for their replies: the
    /// flush goes on (its sessions, the next chunk's decoding) while redis-server applies
    /// them, instead of waiting for the server, which on two cores shares them with funnel
    /// (4.5 of a direct load's 11.4 s of flushing at a million lines). The replies are read and
    /// checked by `confirmWrites`, before the next command on the connection (the next
    /// chunk's reads, which Redis answers after these writes on the same connection) and at
    /// `commit`; a refusal then fails the run there.
    private func send(writes commands: RESPCommands) throws(SinkError) {
        guard commands.count > 0 else { return }
        try confirmWrites()
        do throws(RedisError) {
            let connection = try open()
            try connection.appendFormatted(commands.bytes, commands: commands.count)
            try connection.sendQueued()
            unconfirmed = (commands, connection)
        } catch {
            // Sent again, on a new connection, with the retries of `confirmWrites`.
            connection = nil
            unconfirmed = (commands, nil)
        }
    }

    /// Reads the replies of the writes `send(writes:)` left unconfirmed and checks every one.
    /// They are all idempotent, so when the connection they went out on failed they are sent
    /// again whole on a new one.
    private func confirmWrites() throws(SinkError) {
        guard let (commands, sentOn) = unconfirmed else { return }
        unconfirmed = nil
        let refusal = try retry.run(url: url, reset: { connection = nil }, notice: notice) { () throws(RedisError) -> String? in
            let connection = try open()
            if connection !== sentOn { try connection.appendFormatted(commands.bytes, commands: commands.count) }
            var refusal: String?
            for _ in 0..<commands.count {
                if case .error(let message) = try connection.readReply(), refusal == nil { refusal = message }
            }
            // Transient, as in `send`: all of them again, on a new connection.
            if let refusal { try RedisError.throwIfTransient(refusal, "Redis history at \(url.redacted): \(refusal)") }
            return refusal
        }
        if let refusal { throw SinkError("Redis history at \(url.redacted): \(RedisError.advised(refusal))") }
    }

    private func strings(_ reply: RedisReply) -> [[UInt8]] {
        guard case .array(let items) = reply else { return [] }
        return items.compactMap { if case .string(let bytes) = $0 { bytes } else { nil } }
    }

    private func b(_ text: String) -> [UInt8] { Array(text.utf8) }

    public func records(ofGroups groups: [String]) throws(SinkError) -> [String: [Record]] {
        var result: [String: [Record]] = [:]
        for (group, reply) in try pipelined(groups, .group, { [b("HVALS"), b(recordKey + $0)] }) {
            let records = strings(reply).flatMap(RecordCoding.decodeAll)
            if !records.isEmpty { result[group] = records }
        }
        return result
    }

    /// How many groups' `HSCAN`s go out together at most: a page of each is held at once.
    static let groupsPerScan = 256
    /// About the most stored bytes a trip's pages bring back: the groups a trip asks for
    /// follow the bytes a page took in the trips before, starting at `firstScanTrip` groups
    /// (a review of 2026-12-07: 256 groups' pages of four fields of about 20 KB each held 32
    /// MB more than one group's, and a field holds up to a flush's records of its group).
    static let scanBytesPerTrip = 4 << 20
    static let firstScanTrip = 16

    /// Read with `HSCAN`, a few of a group's values at a time: a visitor with a long past
    /// holds its records in few groups, and an `HVALS` of one held all of them at once (210
    /// MB of the run's memory for a visitor of 855,230 records, against 66 MB a night; a
    /// script doing the look-up in redis-server kept the run's memory flat but held the server
    /// for 2 s). A user without `+hscan` gets `HVALS`, with that memory. The groups' scans go
    /// out together, a page of each of up to `groupsPerScan` unfinished ones per round trip,
    /// as many as `scanBytesPerTrip` allows: one group after another (until 2026-12-07), a day
    /// of 60,000 lines run again over ten nights of 30,000 returning visitors made 307,640
    /// round trips and took 30 s, against 2.8 s into flat files.
    public func storedPositions(_ asked: [(group: String, positions: Set<String>)]) throws(SinkError) -> [Set<String>] {
        var found = [Set<String>](repeating: [], count: asked.count)
        let candidates = Set(try mayBeStored(asked.filter { !$0.positions.isEmpty }.map(\.group), .group))
        let wanted = asked.indices.filter { !asked[$0].positions.isEmpty && candidates.contains(asked[$0].group) }
        var start = 0
        var perTrip = Self.firstScanTrip
        while start < wanted.count {
            let slice = Array(wanted[start..<min(start + Self.groupsPerScan, wanted.count)])
            start += slice.count
            if hscanAllowed != false {
                do throws(SinkError) {
                    var scans = slice.map { StoredPositions(asked[$0].positions) }
                    // The slice's groups whose scan is not over, each with its cursor.
                    var unfinished = slice.indices.map { (scan: $0, cursor: b("0")) }
                    while !unfinished.isEmpty {
                        let trip = unfinished.prefix(perTrip)
                        let replies = try send(trip.map { [b("HSCAN"), b(recordKey + asked[slice[$0.scan]].group), $0.cursor, b("COUNT"), b("4")] })
                        var next: [(scan: Int, cursor: [UInt8])] = []
                        var bytes = 0
                        for (scan, reply) in zip(trip.lazy.map(\.scan), replies) {
                            guard case .array(let parts) = reply, parts.count == 2, case .string(let cursor) = parts[0],
                                  case .array(let items) = parts[1] else {
                                throw SinkError("Redis history at \(url.redacted): unexpected reply to HSCAN")
                            }
                            // Field, value, field, value: the values are the stored records.
                            for index in stride(from: 1, to: items.count, by: 2) {
                                if case .string(let value) = items[index] {
                                    scans[scan].scan(value)
                                    bytes += value.count
                                }
                            }
                            if cursor != b("0") { next.append((scan, cursor)) }
                        }
                        unfinished = Array(unfinished.dropFirst(trip.count)) + next
                        perTrip = max(1, min(Self.groupsPerScan, Self.scanBytesPerTrip / max(1, bytes / trip.count)))
                    }
                    hscanAllowed = true
                    for (scan, index) in slice.enumerated() { found[index] = scans[scan].found }
                    continue
                } catch where error.commandUnavailable {
                    hscanAllowed = false
                }
            }
            for index in slice {
                var scan = StoredPositions(asked[index].positions)
                for value in strings(try send([[b("HVALS"), b(recordKey + asked[index].group)]])[0]) { scan.scan(value) }
                found[index] = scan.found
            }
        }
        return found
    }

    // MARK: - Unfinished runs

    private var unfinishedKey: String { prefix + "unfinished" }

    /// The unfinished runs as this run found them (read once, before its first write).
    private func unfinishedRuns() throws(SinkError) -> UnfinishedRuns {
        if let unfinished { return unfinished }
        var found = UnfinishedRuns()
        if case .string(let bytes) = try send([[b("GET"), b(unfinishedKey)]])[0] { found = UnfinishedRuns(encoded: bytes) }
        unfinished = found
        return found
    }

    /// True when no run that wrote to the history was left unfinished (and this run knows its
    /// inputs): every stored record is then one its visitor's row was built with.
    public var holdsOnlyBuiltRecords: Bool {
        guard !runInputs.isEmpty else { return false }
        return (try? unfinishedRuns().isEmpty) ?? false
    }

    public func eventHolders(_ ids: [String]) throws(SinkError) -> [String: [EventHolder]] {
        var result: [String: [EventHolder]] = [:]
        for (id, reply) in try pipelined(ids, .event, { [b("SMEMBERS"), b(eventKey + $0)] }) {
            for item in strings(reply) {
                let text = String(decoding: item, as: UTF8.self)
                guard let tab = text.firstIndex(of: "\t") else { continue }
                result[id, default: []].append(EventHolder(position: String(text[..<tab]), group: String(text[text.index(after: tab)...])))
            }
        }
        return result
    }

    /// Visitors per `MGET` and per `MSET`: one command for many keys costs redis-server a
    /// fraction of one command per key (a direct load of 3 million lines reads 113,000 rows
    /// and writes 563,000; redis-server's instructions for a load of S fell 3.5%).
    static let visitorsPerCommand = 500

    public func visitorRows(_ visitors: [String]) throws(SinkError) -> [String: VisitorRow] {
        var result: [String: VisitorRow] = [:]
        var missing: [String] = []
        func found(_ visitor: String, _ reply: RedisReply) throws(SinkError) {
            if case .string(let bytes) = reply {
                result[visitor] = try VisitorRow.decode(bytes, visitor: visitor, store: "Redis history at \(url.redacted)")
            } else {
                missing.append(visitor)
            }
        }
        if mgetAllowed != false {
            let wanted = try mayBeStored(visitors, .visitor)
            let batches = stride(from: 0, to: wanted.count, by: Self.visitorsPerCommand).map {
                wanted[$0..<min($0 + Self.visitorsPerCommand, wanted.count)]
            }
            // Writes still unconfirmed are confirmed first, so that a refusal here is MGET's.
            try confirmWrites()
            do throws(SinkError) {
                let replies = try send(batches.map { batch in [b("MGET")] + batch.map { b(visitorKey + $0) } })
                mgetAllowed = true
                for (batch, reply) in zip(batches, replies) {
                    guard case .array(let items) = reply, items.count == batch.count else {
                        throw SinkError("Redis history at \(url.redacted): unexpected reply to MGET")
                    }
                    for (visitor, item) in zip(batch, items) { try found(visitor, item) }
                }
            } catch where mgetAllowed == nil && error.commandUnavailable {
                mgetAllowed = false
            }
        }
        if mgetAllowed == false {
            for (visitor, reply) in try pipelined(visitors, .visitor, { [b("GET"), b(visitorKey + $0)] }) { try found(visitor, reply) }
        }
        guard !missing.isEmpty else { return result }
        // A history from before `VisitorRow`: the visitor's two sets.
        let replies = try send(missing.flatMap { [[b("SMEMBERS"), b(prefix + "vgroups:" + $0)], [b("SMEMBERS"), b(prefix + "vsess:" + $0)]] })
        for (index, visitor) in missing.enumerated() {
            let groups = strings(replies[2 * index]).map { String(decoding: $0, as: UTF8.self) }.sorted()
            let sessions = strings(replies[2 * index + 1]).map { String(decoding: $0, as: UTF8.self) }.sorted()
            guard !groups.isEmpty || !sessions.isEmpty else { continue }
            result[visitor] = VisitorRow(groups: groups, sessions: sessions)
            legacyVisitors.insert(visitor)
        }
        return result
    }

    public var keepsSessionBodies: Bool { false }

    public func sessionBodies(_ ids: [String]) throws(SinkError) -> [String: [UInt8]]? { nil }

    public var buildSettings: String?

    /// `<prefix>funnel:generation`: how many runs committed to this history. The output
    /// folder keeps the number its last run left (`Runner.generationFile`), so that a Redis
    /// holding less than that folder's runs loaded (restarted from an older snapshot or
    /// empty, flushed, another server) is told before a run builds on it.
    private var generationKey: String { prefix + "generation" }
    /// The number stored when the run began (`storedGeneration`), and the one its commit set.
    private var startGeneration: Int64 = 0
    public private(set) var committedGeneration: Int64?

    /// The stored count of committed runs, 0 without one (a history written before
    /// 2026-12-06, or none).
    public func storedGeneration() throws(SinkError) -> Int64 {
        startGeneration = try text(at: generationKey).map { Int64($0) ?? 0 } ?? 0
        return startGeneration
    }

    /// The string stored at `key`, nil without one: the history's settings, note and count.
    private func text(at key: String) throws(SinkError) -> String? {
        guard case .string(let bytes) = try send([[b("GET"), b(key)]])[0] else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `<prefix>funnel:settings`: the settings the stored sessions were built with.
    private var buildSettingsKey: String { prefix + "settings" }

    public func storedBuildSettings() throws(SinkError) -> String? { try text(at: buildSettingsKey) }

    public var rebuildNote: String?

    /// `<prefix>funnel:needs_rebuild`: why the stored sessions differ from one run.
    private var rebuildNoteKey: String { prefix + "needs_rebuild" }

    public func storedRebuildNote() throws(SinkError) -> String? { try text(at: rebuildNoteKey) }

    /// Every chunk's change was applied as it went; what is left is to save the filter of
    /// the keys stored, with the number of keys without a TTL to tell later whether it holds,
    /// and the settings the run's sessions were built with.
    public func commit() throws(SinkError) {
        try confirmWrites()
        let notes = [(buildSettingsKey, buildSettings), (rebuildNoteKey, rebuildNote)].compactMap { key, value in value.map { [b("SET"), b(key), b($0)] } }
        if !notes.isEmpty { _ = try send(notes) }
        // SET, not INCR (a user of README's ACL may not INCR): the run lock keeps other runs
        // from committing in between. Only over the count the run began with: a server
        // restarted empty or flushed during the run keeps its lower count, and the next run
        // is refused (rv69h: the restarted server got 12 over the folder's 11, and the next
        // night loaded it, exit 0).
        if try text(at: generationKey).map({ Int64($0) ?? -1 }) ?? 0 == startGeneration {
            _ = try send([[b("SET"), b(generationKey), b(String(startGeneration + 1))]])
            committedGeneration = startGeneration + 1
        }
        // Every session the run sent is in a stored row now: its notes are done with, before
        // the run leaves the unfinished runs, so that a run whose notes stay is still named.
        if let sentJournalKey { _ = try send([[b("DEL"), b(sentJournalKey)]]) }
        // Every write of the run is in: it is finished, and so is every unfinished run whose
        // files it read again.
        if markedUnfinished && !runInputs.isEmpty {
            let left = try unfinishedRuns().removing(coveredBy: runInputs)
            _ = try send([left.isEmpty ? [b("DEL"), b(unfinishedKey)] : [b("SET"), b(unfinishedKey), left.encoded()]])
            unfinished = left
            markedUnfinished = false
        }
        runsLeftUnfinished = (try? unfinishedRuns().removing(coveredBy: runInputs).runs) ?? []

        guard let filter else { return }
        // Both keys exist before the count is taken, so the count includes them, as it will
        // when the next run compares.
        _ = try send([[b("SET"), b(filterKey), filter.encoded()], [b("SET"), b(filterSizeKey), b("0")]])
        _ = try send([[b("SET"), b(filterSizeKey), b(String(try persistentKeyCount()))]])
    }

    /// Whether this run writes visitor rows with `MSET`, tried once, at the first change: an
    /// `MSET` of the filter's count key, which that change deletes anyway (a run cut short
    /// in between leaves a count that matches no database, and the next run rebuilds the
    /// filter). Only a refusal for want of permission (`NOPERM`) turns it off.
    private func mayUseMSET() throws(SinkError) -> Bool {
        if let msetAllowed { return msetAllowed }
        do throws(SinkError) {
            _ = try send([[b("MSET"), b(filterSizeKey), b("0")]])
            msetAllowed = true
        } catch where error.commandUnavailable {
            msetAllowed = false
        }
        return msetAllowed!
    }

    /// Records and event holders first (append-only), then the derived indexes; each command
    /// is idempotent, so a run cut short is completed by running it again.
    public func apply(_ change: HistoryChange) throws(SinkError) {
        var filter = try keyFilter()
        filter.add(change)
        // Written straight in Redis's wire form: a flush's history is some 10,000 commands.
        var commands = RESPCommands()
        // A run cut short must not leave a filter that misses what it wrote, and must be
        // listed among the unfinished runs until it, or a run of its files, finishes.
        if !filterDeleted {
            commands.command("DEL", arguments: 2)
            commands.argument(filterKey)
            commands.argument(filterSizeKey)
        }
        if !markedUnfinished && !runInputs.isEmpty {
            commands.command("SET", arguments: 2)
            commands.argument(unfinishedKey)
            commands.argument(try unfinishedRuns().adding(runInputs).encoded())
            markedUnfinished = true
        }
        // A group's new records go in one field (`recordBlocks`), as the SQLite history's one
        // row: Redis keeps a hash whose values exceed 64 bytes as a hash table, and a field
        // per record cost it a table entry and two strings per record (1,353 bytes per group
        // at M, against 996 as one field). The field is the first position, so an HSET sent
        // again writes the same field and value.
        for block in change.recordBlocks {
            commands.command("HSET", arguments: 3)
            commands.argument(recordKey, block.group)
            commands.argument(block.position)
            commands.argument(block.data)
        }
        for (id, holder) in change.eventHolders {
            commands.command("SADD", arguments: 2)
            commands.argument(eventKey, id)
            commands.argument(holder.position + "\t" + holder.group)
        }
        // In no particular order: each visitor's key is written once per change. One string
        // replaces a row whole, `visitorsPerCommand` rows to an `MSET` when the user may and
        // one to a `SET` when not; an empty row (a visitor rebuilt only to delete what it
        // held, rare) is deleted. The sets of an older history go after the row that replaces
        // them is written.
        let perCommand = try mayUseMSET() ? Self.visitorsPerCommand : 1
        var rows: [(visitor: String, row: VisitorRow)] = []
        var older: [String] = []
        func deleteOlder() {
            for visitor in older {
                commands.command("DEL", arguments: 2)
                commands.argument(prefix + "vgroups:" + visitor)
                commands.argument(prefix + "vsess:" + visitor)
            }
            older.removeAll()
        }
        func setRows() {
            guard !rows.isEmpty else { return }
            commands.command(perCommand > 1 ? "MSET" : "SET", arguments: 2 * rows.count)
            for (visitor, row) in rows {
                commands.argument(visitorKey, visitor)
                commands.argument(row.encoded())
            }
            rows.removeAll(keepingCapacity: true)
            deleteOlder()
        }
        for (visitor, row) in change.visitors {
            if legacyVisitors.remove(visitor) != nil { older.append(visitor) }
            if row.isEmpty {
                commands.command("DEL", arguments: 1)
                commands.argument(visitorKey, visitor)
                continue
            }
            rows.append((visitor, row))
            if rows.count == perCommand { setRows() }
        }
        setRows()
        deleteOlder()
        if !filterRefused { self.filter = filter }
        try send(writes: commands)
        filterDeleted = true
    }
}
