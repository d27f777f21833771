import FunnelCore

/// The wire form of one Redis command: `*<count>\r\n`, then `$<length>\r\n<bytes>\r\n` per
/// argument. It is the form Redis reads from clients and the only one `redis-cli --pipe`
/// passes through unchanged. Bulk strings carry their length, so arguments need no escaping.
///
/// Both the RESP file sink and the live connection format with it: the file then holds byte
/// for byte what a direct run sends, and the connection hands hiredis finished bytes
/// (`redisAppendFormattedCommand`) instead of an argv it would format again.
enum RESPCommand {
    static func append(_ command: [[UInt8]], to out: inout [UInt8]) {
        appendHeader(arguments: command.count, to: &out)
        for argument in command {
            argument.withUnsafeBufferPointer { appendArgument($0, to: &out) }
        }
    }

    /// `*<count>\r\n`: a command of `arguments` arguments (its name included) follows.
    static func appendHeader(arguments: Int, to out: inout [UInt8]) {
        ByteWriter.append(to: &out, capacity: 32) { $0.writeRESPHeader(arguments: arguments) }
    }

    /// `$<length>\r\n<bytes>\r\n`, made on the stack and appended in one copy: appended a
    /// piece at a time it was some 400 instructions an argument.
    static func appendArgument(_ argument: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        ByteWriter.append(to: &out, capacity: argument.count + 32) { $0.writeRESPArgument(argument) }
    }

    /// `head` and `tail` as one argument (a key prefix and a key), in one copy.
    static func appendArgument(_ head: UnsafeBufferPointer<UInt8>, _ tail: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        ByteWriter.append(to: &out, capacity: head.count + tail.count + 32) { $0.writeRESPArgument(head, tail) }
    }
}

extension ByteWriter {
    /// `*<count>\r\n` (see `RESPCommand`).
    @inline(__always)
    mutating func writeRESPHeader(arguments: Int) {
        write(UInt8(ascii: "*"))
        writeDecimal(arguments)
        write("\r\n")
    }

    /// `$<length>\r\n<bytes>\r\n` (see `RESPCommand`).
    @inline(__always)
    mutating func writeRESPArgument(_ argument: UnsafeBufferPointer<UInt8>) {
        write(UInt8(ascii: "$"))
        writeDecimal(argument.count)
        write("\r\n")
        write(argument)
        write("\r\n")
    }

    /// `head` and `tail` as one argument (see `RESPCommand`).
    @inline(__always)
    mutating func writeRESPArgument(_ head: UnsafeBufferPointer<UInt8>, _ tail: UnsafeBufferPointer<UInt8>) {
        write(UInt8(ascii: "$"))
        writeDecimal(head.count + tail.count)
        write("\r\n")
        write(head)
        write(tail)
        write("\r\n")
    }

    /// A literal as an argument (a command's name).
    @inline(__always)
    mutating func writeRESPArgument(_ literal: StaticString) {
        writeRESPArgument(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }
}
