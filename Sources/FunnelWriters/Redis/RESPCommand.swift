/// The wire form of one Redis command: `*<count>\r\n`, then `$<length>\r\n<bytes>\r\n` per
/// argument. It is the form Redis reads from clients and the only one `redis-cli --pipe`
/// passes through unchanged. Bulk strings carry their length, so arguments need no escaping.
///
/// Both the RESP file sink and the live connection format with it: the file then holds byte
/// for byte what a direct run sends, and the connection hands hiredis finished bytes
/// (`redisAppendFormattedCommand`) instead of an argv it would format again.
enum RESPCommand {
    static func append(_ command: [[UInt8]], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "*"))
        appendDecimal(command.count, to: &out)
        out.append(0x0D)
        out.append(0x0A)
        for argument in command {
            out.append(UInt8(ascii: "$"))
            appendDecimal(argument.count, to: &out)
            out.append(0x0D)
            out.append(0x0A)
            out.append(contentsOf: argument)
            out.append(0x0D)
            out.append(0x0A)
        }
    }

    /// A count's decimal digits, without making a String.
    private static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        precondition(value >= 0, "RESP lengths are never negative")
        let start = out.count
        var rest = value
        repeat {
            out.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        out[start...].reverse()
    }
}
