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

    public func sessionKey(_ id: String) -> String { prefix + "sess:" + tagged(id) }

    public func eventsKey(_ id: String) -> String { prefix + "events:sess:" + tagged(id) }

    private func tagged(_ id: String) -> String { hashTags ? "{" + id + "}" : id }
}

/// The exact commands that store one session, shared by the live writer and the RESP file
/// sink (`redis.resp`), so both produce the same data.
public enum RedisSessionCommands {
    /// `MULTI`, `DEL` both keys, `HSET` every field in record order (values as
    /// `FieldValue.text`), `RPUSH` the events' JSON in order (or `ZADD` scored by timestamp
    /// when `sortedSet`), `EXPIRE` both keys when `ttlSeconds` is given, `EXEC`.
    ///
    /// Deleting first makes a session's write a full replacement, so writing it again (a
    /// retry, a re-run) leaves exactly the same bytes; the transaction makes it all or nothing.
    /// `RPUSH`/`ZADD` are left out when there are no events (they need at least one member),
    /// as is `HSET` for a record without fields. Pure: no I/O, same input, same output.
    ///
    /// - Precondition: `ttlSeconds` is nil or positive (`EXPIRE` with 0 would delete the keys);
    ///   callers validate it when they read their configuration.
    public static func commands(
        for session: SessionRecord, layout: RedisKeyLayout, sortedSet: Bool, ttlSeconds: Int?
    ) -> [[[UInt8]]] {
        precondition(ttlSeconds.map { $0 > 0 } ?? true, "ttlSeconds must be positive")
        let sessionKey = Array(layout.sessionKey(session.id).utf8)
        let eventsKey = Array(layout.eventsKey(session.id).utf8)
        var commands: [[[UInt8]]] = []
        commands.reserveCapacity(7)
        commands.append([bytes("MULTI")])
        commands.append([bytes("DEL"), sessionKey, eventsKey])
        if !session.fields.isEmpty {
            var hset: [[UInt8]] = [bytes("HSET"), sessionKey]
            hset.reserveCapacity(2 + 2 * session.fields.count)
            for field in session.fields {
                hset.append(Array(field.name.utf8))
                hset.append(Array(field.value.text.utf8))
            }
            commands.append(hset)
        }
        if !session.events.isEmpty {
            var add: [[UInt8]] = [bytes(sortedSet ? "ZADD" : "RPUSH"), eventsKey]
            add.reserveCapacity(2 + (sortedSet ? 2 : 1) * session.events.count)
            for event in session.events {
                if sortedSet { add.append(Array(String(event.timestamp).utf8)) }
                add.append(event.json)
            }
            commands.append(add)
        }
        if let ttlSeconds {
            let ttl = Array(String(ttlSeconds).utf8)
            commands.append([bytes("EXPIRE"), sessionKey, ttl])
            commands.append([bytes("EXPIRE"), eventsKey, ttl])
        }
        commands.append([bytes("EXEC")])
        return commands
    }

    private static func bytes(_ text: StaticString) -> [UInt8] {
        Array(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}
