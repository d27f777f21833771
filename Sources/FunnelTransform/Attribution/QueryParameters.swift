import FunnelCore

/// Parameters of a URL query string, percent-decoded with `+` as space (SPEC 5).
///
/// A record's query is asked for thirteen names (five utm fields, eight click ids) by the
/// sessionizer and again by the session's fields: a lookup scans the query's bytes once for
/// all the names it is given and decodes only the values it returns, instead of building every
/// name and value as strings up front.
public struct QueryParameters: Sendable {
    private let query: String

    public init(_ query: String?) {
        self.query = query ?? ""
    }

    /// The first non-empty value of the first of `names` (names compared after
    /// percent-decoding): for one name, `Names([name])`, prepared once where it is looked up
    /// per record or per session.
    public func firstValue(of names: Names) -> String? {
        var found: String?
        forEachFirstValue(of: names) { index, value in if index == 0 { found = value } }
        return found
    }

    /// Names to look up together, prepared once (see `forEachFirstValue(of:_:)`).
    public struct Names: Sendable {
        let names: [String]
        let bytes: [[UInt8]]
        let isASCII: [Bool]

        /// At most 64 names (one bit each marks those found).
        public init(_ names: [String]) {
            precondition(names.count <= 64, "QueryParameters.Names holds at most 64 names")
            self.names = names
            bytes = names.map { Array($0.utf8) }
            isASCII = bytes.map { $0.allSatisfy { $0 < 0x80 } }
        }
    }

    /// Calls `body` with the index in `names` and the first value of each name that is neither
    /// empty nor white space alone, in one pass over the query: what a campaign needs of its thirteen
    /// names. No array of values is made: making and freeing an array of thirteen optional
    /// strings (what this returned until 2026-12-02) took about 1,700 instructions per
    /// campaign under callgrind, as much as scanning its query.
    public func forEachFirstValue(of names: Names, _ body: (_ index: Int, _ value: String) -> Void) {
        guard !query.isEmpty else { return }
        // Bit i: names[i] has its value.
        var found: UInt64 = 0
        var query = query
        query.withUTF8 { bytes in
            Self.forEachPair(in: bytes) { name, isPlain, value in
                var decodedName: String?
                for index in names.names.indices where found & (1 << UInt64(index)) == 0 {
                    let matches: Bool
                    if isPlain && names.isASCII[index] {
                        matches = Self.same(name, names.bytes[index])
                    } else {
                        if decodedName == nil { decodedName = Self.decode(name) }
                        matches = decodedName == names.names[index]
                    }
                    if matches {
                        // A value of white space alone (`utm_source=%20`, `+`) is no value: a
                        // later part may give one. Until 2026-12-05 it was the campaign's
                        // source, so the session had none and its referrer went unread.
                        let decoded = Self.decode(value)
                        if FieldList.isBlank(decoded) { break }
                        found |= 1 << UInt64(index)
                        body(index, decoded)
                        break
                    }
                }
            }
        }
    }

    /// Byte equality that looks at the lengths first: most of the thirteen names a query part
    /// is compared with differ in length, and five share the prefix `utm_`. (`elementsEqual`
    /// walked the bytes of each through the generic sequence path: about 4,900 instructions
    /// per campaign.)
    @inline(__always)
    private static func same(_ a: UnsafeBufferPointer<UInt8>, _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return b.withUnsafeBufferPointer { b in
            for index in 0..<a.count where a[index] != b[index] { return false }
            return true
        }
    }

    /// Calls `body` with the name and value of each `name=value` part with a non-empty value,
    /// in order. Parts are split on `&`; a part without `=` has an empty value. `isPlain` says
    /// the name is ASCII without `%` or `+`, so that it decodes to itself and compares byte for
    /// byte with an ASCII name; any other name is compared after decoding, as `String`'s `==`
    /// compares (canonical equivalence: a decoded KELVIN SIGN is `K`).
    private static func forEachPair(in bytes: UnsafeBufferPointer<UInt8>,
                                    _ body: (_ name: UnsafeBufferPointer<UInt8>, _ isPlain: Bool, _ value: UnsafeBufferPointer<UInt8>) -> Void) {
        let count = bytes.count
        var start = 0
        while start < count {
            var end = start
            var equals = -1
            var plain = true
            while end < count {
                let byte = bytes[end]
                if byte == UInt8(ascii: "&") { break }
                if equals < 0 {
                    if byte == UInt8(ascii: "=") {
                        equals = end
                    } else if byte >= 0x80 || byte == UInt8(ascii: "%") || byte == UInt8(ascii: "+") {
                        plain = false
                    }
                }
                end += 1
            }
            if equals >= 0 && equals + 1 < end {
                body(UnsafeBufferPointer(rebasing: bytes[start..<equals]), plain, UnsafeBufferPointer(rebasing: bytes[(equals + 1)..<end]))
            }
            start = end + 1
        }
    }

    /// Percent-decodes; a broken escape (`%G1`, a lone `%`) and an escaped control byte (`%00`,
    /// `%0A`, `%7F`: nothing a campaign name holds, and nothing a CSV cell or a Redis value
    /// should get) are kept as written, and bytes that do not form UTF-8 become U+FFFD, so a
    /// damaged URL still yields its readable parts. Takes the bytes where they are (a slice of
    /// an array, or of the query's own buffer) rather than a copy.
    public static func decode<Bytes: RandomAccessCollection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8, Bytes.Index == Int {
        if !bytes.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) {
            return String(decoding: bytes, as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let byte = bytes[i]
            if byte == UInt8(ascii: "+") {
                out.append(0x20)
            } else if let escaped = Hex.percentEscape(bytes, at: i), !Hex.isControl(escaped) {
                out.append(escaped)
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
