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

    /// One pass over the agent, trying at each byte only the tokens that start with it.
    func containsAny(_ tokens: TokenSet) -> Bool {
        for start in bytes.indices {
            for token in tokens.startingWith(bytes[start]) where hasToken(token, at: start) {
                return true
            }
        }
        return false
    }

    /// `token` stands at `start`; its first byte is known to match already.
    private func hasToken(_ token: Token, at start: Int) -> Bool {
        let needle = token.bytes
        guard start + needle.count <= bytes.count else { return false }
        var k = 1
        while k < needle.count && bytes[start + k] == needle[k] { k += 1 }
        return k == needle.count
    }

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

/// A rule's tokens, grouped by first byte so that one pass over an agent tries each position
/// against the few tokens that could start there.
struct TokenSet: ExpressibleByArrayLiteral, Sendable {
    let tokens: [Token]
    private let byFirstByte: [[Token]]

    init(_ tokens: [Token]) {
        let tokens = tokens.filter { !$0.bytes.isEmpty }
        var table = [[Token]](repeating: [], count: 256)
        for token in tokens { table[Int(token.bytes[0])].append(token) }
        self.tokens = tokens
        byFirstByte = table
    }

    init(arrayLiteral tokens: Token...) {
        self.init(tokens)
    }

    func startingWith(_ byte: UInt8) -> [Token] { byFirstByte[Int(byte)] }
}
