/// Commands in Redis's wire form (`RESPCommand`), written argument by argument as they are
/// described: what a long pipeline queues with `RedisConnection.appendFormatted`, without an
/// array per argument on the way (a session has some 70 arguments, a flush's history some
/// 10,000 commands).
public struct RESPCommands: Sendable {
    /// The commands' bytes, ready to send.
    public internal(set) var bytes: [UInt8] = []
    /// How many commands `bytes` holds: as many replies will come back.
    public private(set) var count = 0

    public init() {}

    /// Starts a command: its name, then exactly `arguments` calls of `argument`.
    public mutating func command(_ name: StaticString, arguments: Int) {
        count += 1
        RESPCommand.appendHeader(arguments: 1 + arguments, to: &bytes)
        RESPCommand.appendArgument(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount), to: &bytes)
    }

    public mutating func argument(_ text: String) {
        var text = text
        text.withUTF8 { RESPCommand.appendArgument($0, to: &bytes) }
    }

    /// `head` and `tail` as one argument (a key prefix and a key), without the string that
    /// joining them would make: a flush's history names some 30,000 keys this way.
    public mutating func argument(_ head: String, _ tail: String) {
        var head = head, tail = tail
        head.withUTF8 { first in tail.withUTF8 { RESPCommand.appendArgument(first, $0, to: &bytes) } }
    }

    public mutating func argument(_ value: [UInt8]) {
        value.withUnsafeBufferPointer { argument($0) }
    }

    public mutating func argument(_ value: UnsafeBufferPointer<UInt8>) {
        RESPCommand.appendArgument(value, to: &bytes)
    }
}
