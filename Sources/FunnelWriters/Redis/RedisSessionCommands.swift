import FunnelCore

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
        var builder = ArgumentLists()
        build(session, layout: layout, sortedSet: sortedSet, ttlSeconds: ttlSeconds, into: &builder)
        return builder.commands
    }

    /// The same commands as `commands(for:...)`, appended to `out` in Redis's wire form
    /// (`RESPCommand`), straight from the session: no array per argument on the way (a session
    /// has some 70 arguments, and building them was most of a direct load's own work). Returns
    /// how many commands were appended.
    @discardableResult
    public static func appendRESP(
        for session: SessionRecord, layout: RedisKeyLayout, sortedSet: Bool, ttlSeconds: Int?, to out: inout [UInt8]
    ) -> Int {
        // Written at a pointer and appended in one copy: appended argument by argument, the
        // array's checks and copies were over a third of a session's commands.
        var count = 0
        ByteWriter.append(to: &out, capacity: 4096) { writer in
            var builder = RESPBuilder(writer: writer)
            build(session, layout: layout, sortedSet: sortedSet, ttlSeconds: ttlSeconds, into: &builder)
            writer = builder.writer
            count = builder.count
        }
        return count
    }

    private static func build<Builder: CommandBuilder>(
        _ session: SessionRecord, layout: RedisKeyLayout, sortedSet: Bool, ttlSeconds: Int?, into builder: inout Builder
    ) {
        precondition(ttlSeconds.map { $0 > 0 } ?? true, "ttlSeconds must be positive")
        let sessionKey = layout.sessionKey(session.id)
        let eventsKey = layout.eventsKey(session.id)
        builder.command("MULTI", arguments: 0)
        builder.command("DEL", arguments: 2)
        builder.argument(sessionKey)
        builder.argument(eventsKey)
        if !session.fields.isEmpty {
            builder.command("HSET", arguments: 1 + 2 * session.fields.count)
            builder.argument(sessionKey)
            for field in session.fields {
                builder.argument(field.name)
                builder.argument(field.value)
            }
        }
        if !session.events.isEmpty {
            builder.command(sortedSet ? "ZADD" : "RPUSH", arguments: 1 + (sortedSet ? 2 : 1) * session.events.count)
            builder.argument(eventsKey)
            for event in session.events {
                if sortedSet { builder.argument(String(event.timestamp)) }
                builder.argument(event)
            }
        }
        // A removed id (neither fields nor events) is its `DEL` alone: its `EXPIRE`s were on
        // keys just deleted (rv69c: harmless, and not the stream the docs give).
        if let ttlSeconds, !(session.fields.isEmpty && session.events.isEmpty) {
            let ttl = String(ttlSeconds)
            builder.command("EXPIRE", arguments: 2)
            builder.argument(sessionKey)
            builder.argument(ttl)
            builder.command("EXPIRE", arguments: 2)
            builder.argument(eventsKey)
            builder.argument(ttl)
        }
        builder.command("EXEC", arguments: 0)
    }
}

/// Receives a session's commands argument by argument: each command is announced with its
/// name and the number of arguments that follow it.
private protocol CommandBuilder {
    mutating func command(_ name: StaticString, arguments: Int)
    mutating func argument(_ text: String)
    /// A field's value as its text (`FieldValue.text`).
    mutating func argument(_ value: FieldValue)
    mutating func argument(_ event: EventRecord)
}

/// Commands as lists of arguments (the name first), for tests and error messages.
private struct ArgumentLists: CommandBuilder {
    var commands: [[[UInt8]]] = []

    mutating func command(_ name: StaticString, arguments: Int) {
        var command = [Array(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))]
        command.reserveCapacity(1 + arguments)
        commands.append(command)
    }

    mutating func argument(_ text: String) { commands[commands.count - 1].append(Array(text.utf8)) }

    mutating func argument(_ value: FieldValue) { argument(value.text) }

    mutating func argument(_ event: EventRecord) { commands[commands.count - 1].append(event.json) }
}

/// Commands in RESP, written as they come.
private struct RESPBuilder: CommandBuilder {
    var writer: ByteWriter
    var count = 0

    mutating func command(_ name: StaticString, arguments: Int) {
        count += 1
        writer.writeRESPHeader(arguments: 1 + arguments)
        writer.writeRESPArgument(name)
    }

    mutating func argument(_ text: String) {
        text.withUTF8InPlace { writer.writeRESPArgument($0) }
    }

    mutating func argument(_ value: FieldValue) {
        switch value {
        case .string(let text): argument(text)
        case .integer(let number): DecimalText.withBytes(of: number) { writer.writeRESPArgument($0) }
        case .bool(let flag): writer.writeRESPArgument(flag ? "true" : "false")
        case .amount: argument(value.text)
        }
    }

    /// The event's JSON is made on the stack first: RESP needs its length before its bytes.
    mutating func argument(_ event: EventRecord) {
        ByteWriter.withBytes({ event.writeJSON(to: &$0) }) { writer.writeRESPArgument($0) }
    }
}
