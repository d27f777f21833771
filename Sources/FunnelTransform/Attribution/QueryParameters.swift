import FunnelCore

/// Parameters of a URL query string, percent-decoded with `+` as space (SPEC 5).
public struct QueryParameters: Sendable {
    public private(set) var pairs: [(name: String, value: String)] = []

    public init(_ query: String?) {
        guard let query, !query.isEmpty else { return }
        for part in query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let bytes = Array(part)
            if let equals = bytes.firstIndex(of: UInt8(ascii: "=")) {
                pairs.append((Self.decode(bytes[..<equals]), Self.decode(bytes[(equals + 1)...])))
            } else {
                pairs.append((Self.decode(bytes[...]), ""))
            }
        }
    }

    /// The first non-empty value of `name`.
    public subscript(name: String) -> String? {
        pairs.first { $0.name == name && !$0.value.isEmpty }?.value
    }

    public func contains(where predicate: (String) -> Bool) -> Bool {
        pairs.contains { predicate($0.name) && !$0.value.isEmpty }
    }

    /// Percent-decodes; a broken escape (`%G1`, a lone `%`) and an escaped control byte (`%00`,
    /// `%0A`, `%7F`: nothing a campaign name holds, and nothing a CSV cell or a Redis value
    /// should get) are kept as written, and bytes that do not form UTF-8 become U+FFFD, so a
    /// damaged URL still yields its readable parts.
    public static func decode(_ bytes: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let byte = bytes[i]
            if byte == UInt8(ascii: "+") {
                out.append(0x20)
            } else if byte == UInt8(ascii: "%"), i + 2 < bytes.endIndex, let high = Hex.value(bytes[i + 1]), let low = Hex.value(bytes[i + 2]),
                      !Hex.isControl(high << 4 | low) {
                out.append(high << 4 | low)
                i += 3
                continue
            } else {
                out.append(byte)
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
