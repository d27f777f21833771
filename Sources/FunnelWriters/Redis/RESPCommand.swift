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
        out.append(UInt8(ascii: "*"))
        out.appendDecimal(arguments)
        out.append(0x0D)
        out.append(0x0A)
    }

    /// `$<length>\r\n<bytes>\r\n`.
    static func appendArgument(_ argument: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "$"))
        out.appendDecimal(argument.count)
        out.append(0x0D)
        out.append(0x0A)
        out.append(contentsOf: argument)
        out.append(0x0D)
        out.append(0x0A)
    }
}
