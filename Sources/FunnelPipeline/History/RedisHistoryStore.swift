import FunnelCore
import FunnelWriters

/// The history of the Redis sink, kept in the same Redis under `<prefix>funnel:` keys:
/// `funnel:rec:<group>` (hash: position -> record), `funnel:eid:<event id>` (set of
/// position/group), `funnel:vgroups:<visitor>` (set), `funnel:gvisitor:<group>` (string) and
/// `funnel:vsess:<visitor>` (set of session ids). Reads and writes are pipelined.
public final class RedisHistoryStore: HistoryStore {
    private let url: RedisURL
    private let prefix: String
    private let retry: RedisRetryPolicy
    private var connection: RedisConnection?

    public init(url: RedisURL, prefix: String, retry: RedisRetryPolicy = .standard) {
        self.url = url
        self.prefix = prefix + "funnel:"
        self.retry = retry
    }

    /// Sends one command per distinct key, pipelined, and returns the replies.
    private func pipelined(_ keys: [String], _ command: (String) -> [[UInt8]]) throws(SinkError) -> [(String, RedisReply)] {
        let unique = Array(Set(keys))
        return try send(unique.map(command)).enumerated().map { (unique[$0.offset], $0.element) }
    }

    /// Sends commands in order, pipelined in batches, and returns their replies. Every command
    /// here is a read or an idempotent write, so a batch cut by a fault is sent again whole.
    private func send(_ commands: [[[UInt8]]]) throws(SinkError) -> [RedisReply] {
        var result: [RedisReply] = []
        var start = 0
        while start < commands.count {
            let batch = commands[start..<min(start + 1000, commands.count)]
            result += try retry.run(url: url, reset: { connection = nil }) { () throws(RedisError) -> [RedisReply] in
                let connection: RedisConnection
                if let open = self.connection {
                    connection = open
                } else {
                    connection = try RedisConnection(url: url)
                    self.connection = connection
                }
                for command in batch { try connection.append(command) }
                var replies: [RedisReply] = []
                for _ in batch { replies.append(try connection.readReply()) }
                return replies
            }
            start += 1000
        }
        for reply in result {
            if case .error(let message) = reply { throw SinkError("Redis history at \(url.redacted): \(message)") }
        }
        return result
    }

    private func strings(_ reply: RedisReply) -> [[UInt8]] {
        guard case .array(let items) = reply else { return [] }
        return items.compactMap { if case .string(let bytes) = $0 { bytes } else { nil } }
    }

    private func b(_ text: String) -> [UInt8] { Array(text.utf8) }

    public func records(ofGroups groups: [String]) throws(SinkError) -> [String: [Record]] {
        var result: [String: [Record]] = [:]
        for (group, reply) in try pipelined(groups, { [b("HVALS"), b(prefix + "rec:" + $0)] }) {
            let records = strings(reply).compactMap(RecordCoding.decode)
            if !records.isEmpty { result[group] = records }
        }
        return result
    }

    public func eventHolders(_ ids: [String]) throws(SinkError) -> [String: [EventHolder]] {
        var result: [String: [EventHolder]] = [:]
        for (id, reply) in try pipelined(ids, { [b("SMEMBERS"), b(prefix + "eid:" + $0)] }) {
            for item in strings(reply) {
                let text = String(decoding: item, as: UTF8.self)
                guard let tab = text.firstIndex(of: "\t") else { continue }
                result[id, default: []].append(EventHolder(position: String(text[..<tab]), group: String(text[text.index(after: tab)...])))
            }
        }
        return result
    }

    public func sessionGroups(ofVisitors visitors: [String]) throws(SinkError) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for (visitor, reply) in try pipelined(visitors, { [b("SMEMBERS"), b(prefix + "vgroups:" + $0)] }) {
            let groups = strings(reply).map { String(decoding: $0, as: UTF8.self) }
            if !groups.isEmpty { result[visitor] = groups }
        }
        return result
    }

    public func visitors(ofSessionGroups groups: [String]) throws(SinkError) -> [String: String] {
        var result: [String: String] = [:]
        for (group, reply) in try pipelined(groups, { [b("GET"), b(prefix + "gvisitor:" + $0)] }) {
            if case .string(let bytes) = reply { result[group] = String(decoding: bytes, as: UTF8.self) }
        }
        return result
    }

    public func sessionIDs(ofVisitors visitors: [String]) throws(SinkError) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for (visitor, reply) in try pipelined(visitors, { [b("SMEMBERS"), b(prefix + "vsess:" + $0)] }) {
            let ids = strings(reply).map { String(decoding: $0, as: UTF8.self) }
            if !ids.isEmpty { result[visitor] = ids }
        }
        return result
    }

    public func sessionBodies(_ ids: [String]) throws(SinkError) -> [String: [UInt8]]? { nil }

    /// Nothing to do: every chunk's change was applied as it went.
    public func commit() throws(SinkError) {}

    /// Records and event holders first (append-only), then the derived indexes; each command
    /// is idempotent, so a run cut short is completed by running it again.
    public func apply(_ change: HistoryChange) throws(SinkError) {
        var commands: [[[UInt8]]] = []
        for (group, position, data) in change.records {
            commands.append([b("HSET"), b(prefix + "rec:" + group), b(position), data])
        }
        for (id, holder) in change.eventHolders {
            commands.append([b("SADD"), b(prefix + "eid:" + id), b(holder.position + "\t" + holder.group)])
        }
        for (visitor, ids) in change.visitorSessions.sorted(by: { $0.key < $1.key }) {
            commands.append([b("DEL"), b(prefix + "vsess:" + visitor)])
            if !ids.isEmpty { commands.append([b("SADD"), b(prefix + "vsess:" + visitor)] + ids.map(b)) }
        }
        for (visitor, groups) in change.visitorGroups.sorted(by: { $0.key < $1.key }) {
            commands.append([b("DEL"), b(prefix + "vgroups:" + visitor)])
            if !groups.isEmpty { commands.append([b("SADD"), b(prefix + "vgroups:" + visitor)] + groups.map(b)) }
        }
        for (group, visitor) in change.groupVisitor.sorted(by: { $0.key < $1.key }) {
            commands.append([b("SET"), b(prefix + "gvisitor:" + group), b(visitor)])
        }
        _ = try send(commands)
    }
}
