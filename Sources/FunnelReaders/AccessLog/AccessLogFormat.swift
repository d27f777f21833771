/// An access-log layout compiled from an nginx `log_format` string (or the names `combined`
/// and `common`) into literals and variables, so each line is matched in one left-to-right pass.
public struct AccessLogFormat: Sendable, Hashable {
    public static let combined = #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#
    public static let common = #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent"#

    public enum Token: Sendable, Hashable {
        case literal([UInt8])
        /// A variable; `quoted` when it sits between double quotes, where `\"` and `\xHH`
        /// escapes can appear.
        case variable(LogVariable, quoted: Bool)
    }

    public let source: String
    public let tokens: [Token]

    /// Compiles `format`: `combined`, `common`, or an nginx `log_format` string.
    public init(_ format: String) throws(AccessLogFormatError) {
        let text: String
        switch format {
        case "combined": text = Self.combined
        case "common": text = Self.common
        default: text = format
        }
        source = text
        var tokens: [Token] = []
        var literal: [UInt8] = []
        let bytes = Array(text.utf8)
        var index = 0
        // Quotes of the format so far: a variable after an odd number is inside a quoted field.
        var quotes = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "$") else {
                if bytes[index] == UInt8(ascii: "\"") { quotes += 1 }
                literal.append(bytes[index])
                index += 1
                continue
            }
            var nameStart = index + 1
            var nameEnd: Int
            if nameStart < bytes.count, bytes[nameStart] == UInt8(ascii: "{") {
                nameStart += 1
                nameEnd = nameStart
                while nameEnd < bytes.count, bytes[nameEnd] != UInt8(ascii: "}") { nameEnd += 1 }
                guard nameEnd < bytes.count else { throw AccessLogFormatError("unclosed ${ in log format \"\(text)\"") }
                index = nameEnd + 1
            } else {
                nameEnd = nameStart
                while nameEnd < bytes.count, Self.isNameByte(bytes[nameEnd]) { nameEnd += 1 }
                index = nameEnd
            }
            guard nameEnd > nameStart else { throw AccessLogFormatError("a '$' without a variable name in log format \"\(text)\"") }
            let name = String(decoding: bytes[nameStart..<nameEnd], as: UTF8.self)
            if let meant = LogVariable.meant(by: name) {
                throw AccessLogFormatError("$\(name) is no variable nginx knows, and funnel would ignore it; did you mean $\(meant)? (a variable of your own, from a map or set block, needs a name further from the ones funnel reads)")
            }
            if !literal.isEmpty {
                tokens.append(.literal(literal))
            } else if case .variable(let previous, _)? = tokens.last {
                throw AccessLogFormatError("variables $\(previous.name) and $\(name) follow each other without a separator, so a line cannot be split between them")
            }
            // Inside a quoted field, alone (`"$request"`) or with others (`"$request_method
            // $request_uri $server_protocol"`): nginx escapes such a field's bytes as `\xHH`.
            // Until 2026-12-05 only a variable with a quote on both sides counted.
            let quoted = quotes % 2 == 1
            literal = []
            tokens.append(.variable(LogVariable(name: name), quoted: quoted))
        }
        if !literal.isEmpty { tokens.append(.literal(literal)) }
        guard tokens.contains(where: { if case .variable = $0 { true } else { false } }) else {
            // `Combined` is the likelier meaning of such a format than a log of literals.
            // Any other word is a misspelt name (`combinde`, rv74a), and the names are said.
            let named = ["combined", "common"].first { $0 == text.lowercased().filter { $0 != " " } }
            let hint = named.map { "; the named formats are written in lower case: \($0)" }
                ?? "; name combined or common, or give an nginx log_format such as \(AccessLogFormat.common)"
            throw AccessLogFormatError("log format \"\(text)\" has no $variables\(hint)")
        }
        self.tokens = tokens
    }

    /// Variables the format holds, in order.
    public var variables: [LogVariable] {
        tokens.compactMap { if case .variable(let v, _) = $0 { v } else { nil } }
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z") || (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: "_")
    }
}

/// A log format that cannot be used, with what to change.
public struct AccessLogFormatError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
