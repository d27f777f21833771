/// A user agent lowered to ASCII once, so that every rule is a plain byte search.
///
/// Classification runs once per distinct agent (the classifier caches), so the rules favour
/// clarity: each is a search for a few fixed tokens, which are lowered when they are built.
struct AgentText {
    let bytes: [UInt8]

    init(_ agent: String) {
        bytes = agent.utf8.map { $0 &- UInt8(ascii: "A") < 26 ? $0 | 0x20 : $0 }
    }

    var isEmpty: Bool { bytes.isEmpty }

    func contains(_ token: Token) -> Bool { firstIndex(of: token) != nil }

    func containsAny(_ tokens: [Token]) -> Bool { tokens.contains { contains($0) } }

    func hasPrefix(_ token: Token) -> Bool {
        token.bytes.count <= bytes.count && bytes[..<token.bytes.count].elementsEqual(token.bytes)
    }

    /// The index where `token` first occurs at or after `start`.
    func firstIndex(of token: Token, from start: Int = 0) -> Int? {
        let needle = token.bytes
        guard let first = needle.first else { return start }
        let last = bytes.count - needle.count
        var i = start
        while i <= last {
            if bytes[i] == first {
                var k = 1
                while k < needle.count && bytes[i + k] == needle[k] { k += 1 }
                if k == needle.count { return i }
            }
            i += 1
        }
        return nil
    }

    /// True for ASCII letters and digits: what a product or device name is made of.
    static func isWordByte(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "a") < 26 || byte &- UInt8(ascii: "0") < 10 || byte &- UInt8(ascii: "A") < 26
    }
}

/// A lowered token to search for, written as a string literal in the rule tables.
struct Token: ExpressibleByStringLiteral, Sendable, Hashable {
    let bytes: [UInt8]

    init(_ text: String) {
        bytes = Array(text.lowercased().utf8)
    }

    init(stringLiteral text: String) {
        self.init(text)
    }
}
