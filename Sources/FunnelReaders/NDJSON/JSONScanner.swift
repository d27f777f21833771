import FunnelCore

/// A byte-level JSON scanner for one NDJSON line.
///
/// It walks the top-level object once and hands out member values as byte ranges; only the
/// values a dialect keeps are decoded. Nested containers are skipped with an explicit bracket
/// stack, never by recursion, so a line nested a million deep cannot overflow the stack.
/// Foundation's JSONDecoder would build every value and is about 30x slower here.
package struct JSONScanner {
    package enum Value {
        case string(Range<Int>, escaped: Bool)
        case number(Range<Int>)
        case bool(Bool)
        case null
        case object(Range<Int>)
        case array(Range<Int>)
    }

    package struct Failure: Error {
        package var message: String
        var notAnObject = false
    }

    let b: UnsafeBufferPointer<UInt8>

    package init(_ bytes: UnsafeBufferPointer<UInt8>) { b = bytes }

    /// Calls `body` with each member of the object spanning `range` (the whole line when nil).
    package func forEachMember(in range: Range<Int>? = nil, _ body: (_ key: Range<Int>, _ keyEscaped: Bool, _ value: Value) throws(Failure) -> Void) throws(Failure) {
        var i = range?.lowerBound ?? 0
        let end = range?.upperBound ?? b.count
        skipSpace(&i, end)
        guard i < end, b[i] == UInt8(ascii: "{") else {
            throw Failure(message: i < end ? "the line is not a JSON object" : "empty line", notAnObject: range == nil && isNonObjectValue(from: i, end))
        }
        i += 1
        skipSpace(&i, end)
        if i < end, b[i] == UInt8(ascii: "}") {
            i += 1
            try expectEnd(i, end)
            return
        }
        while true {
            skipSpace(&i, end)
            guard i < end, b[i] == UInt8(ascii: "\"") else { throw Failure(message: "expected a key at byte \(i + 1)") }
            let (key, keyEscaped) = try scanString(&i, end)
            skipSpace(&i, end)
            guard i < end, b[i] == UInt8(ascii: ":") else { throw Failure(message: "expected ':' at byte \(i + 1)") }
            i += 1
            skipSpace(&i, end)
            let value = try scanValue(&i, end)
            try body(key, keyEscaped, value)
            skipSpace(&i, end)
            guard i < end else { throw Failure(message: "the object is not closed (truncated line?)") }
            if b[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            guard b[i] == UInt8(ascii: "}") else { throw Failure(message: "expected ',' or '}' at byte \(i + 1)") }
            i += 1
            try expectEnd(i, end)
            return
        }
    }

    /// Calls `body` with each element of the array spanning `range` (as `Value.array` gives
    /// it). Used to read back funnel's own output (`SessionBody`), not input lines.
    package func forEachElement(in range: Range<Int>, _ body: (_ value: Value) throws(Failure) -> Void) throws(Failure) {
        var i = range.lowerBound
        let end = range.upperBound
        guard i < end, b[i] == UInt8(ascii: "[") else { throw Failure(message: "expected an array at byte \(i + 1)") }
        i += 1
        skipSpace(&i, end)
        if i < end, b[i] == UInt8(ascii: "]") { return }
        while true {
            skipSpace(&i, end)
            try body(try scanValue(&i, end))
            skipSpace(&i, end)
            guard i < end else { throw Failure(message: "the array is not closed") }
            if b[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            guard b[i] == UInt8(ascii: "]") else { throw Failure(message: "expected ',' or ']' at byte \(i + 1)") }
            return
        }
    }

    private func expectEnd(_ start: Int, _ end: Int) throws(Failure) {
        var i = start
        skipSpace(&i, end)
        guard i == end else { throw Failure(message: "unexpected bytes after the object at byte \(i + 1)") }
    }

    /// True when the line holds a complete JSON value that is not an object (`[...]`, a
    /// string, a number, `true`), as opposed to text that is not JSON at all.
    private func isNonObjectValue(from start: Int, _ end: Int) -> Bool {
        var i = start
        guard let _ = try? scanValue(&i, end) else { return false }
        skipSpace(&i, end)
        return i == end
    }

    @inline(__always)
    func skipSpace(_ i: inout Int, _ end: Int) {
        while i < end {
            let byte = b[i]
            guard byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D else { return }
            i += 1
        }
    }

    /// Scans a string starting at its opening quote; returns the range inside the quotes.
    private func scanString(_ i: inout Int, _ end: Int) throws(Failure) -> (Range<Int>, Bool) {
        let start = i + 1
        var j = start
        var escaped = false
        while j < end {
            let byte = b[j]
            if byte == UInt8(ascii: "\"") {
                i = j + 1
                return (start..<j, escaped)
            }
            if byte == UInt8(ascii: "\\") {
                // An escape JSON has: `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, or `\u` and four
                // hex digits (what they stand for is read only for the values a dialect keeps).
                escaped = true
                guard j + 1 < end else { break }
                switch b[j + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    j += 2
                case UInt8(ascii: "u") where j + 5 < end && (2...5).allSatisfy({ Hex.value(b[j + $0]) != nil }):
                    j += 6
                default:
                    throw Failure(message: "not a JSON escape at byte \(j + 1)")
                }
                continue
            }
            if byte < 0x20 { throw Failure(message: "a control character inside a string at byte \(j + 1)") }
            j += 1
        }
        throw Failure(message: "a string is not closed (truncated line?)")
    }

    private func scanValue(_ i: inout Int, _ end: Int) throws(Failure) -> Value {
        guard i < end else { throw Failure(message: "a value is missing at the end of the line") }
        switch b[i] {
        case UInt8(ascii: "\""):
            let (range, escaped) = try scanString(&i, end)
            return .string(range, escaped: escaped)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let start = i
            try skipContainer(&i, end)
            return b[start] == UInt8(ascii: "{") ? .object(start..<i) : .array(start..<i)
        case UInt8(ascii: "t"): try literal("true", &i, end); return .bool(true)
        case UInt8(ascii: "f"): try literal("false", &i, end); return .bool(false)
        case UInt8(ascii: "n"): try literal("null", &i, end); return .null
        default:
            let start = i
            try scanNumber(&i, end)
            return .number(start..<i)
        }
    }

    /// A number as JSON writes one: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`. Until
    /// 2026-12-05 any run of digits, signs, dots and `e` passed (`01704067200`, `+1`, `1.2.3`),
    /// and such a line was kept although it is not JSON (SPEC 2: a `bad_json` reject).
    private func scanNumber(_ i: inout Int, _ end: Int) throws(Failure) {
        let start = i
        func digits() -> Int {
            let from = i
            while i < end, b[i] &- 0x30 < 10 { i += 1 }
            return i - from
        }
        if i < end, b[i] == UInt8(ascii: "-") { i += 1 }
        guard i < end, b[i] &- 0x30 < 10 else {
            throw Failure(message: i == start ? "unexpected byte at \(start + 1)" : "not a JSON number at byte \(start + 1)")
        }
        if b[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            _ = digits()
        }
        if i < end, b[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { throw Failure(message: "not a JSON number at byte \(start + 1)") }
        }
        if i < end, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < end, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw Failure(message: "not a JSON number at byte \(start + 1)") }
        }
        // A number runs up to a delimiter: `01`, `1.2.3` or `1x` are not numbers.
        if i < end {
            let byte = b[i]
            guard byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]")
                    || byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D else {
                throw Failure(message: "not a JSON number at byte \(start + 1)")
            }
        }
    }

    private func literal(_ word: StaticString, _ i: inout Int, _ end: Int) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard i + count <= end else { throw Failure(message: "a literal is cut short") }
        for k in 0..<count where b[i + k] != word.utf8Start[k] { throw Failure(message: "unknown literal at byte \(i + 1)") }
        i += count
    }

    /// What `skipContainer` expects next.
    private enum Expect {
        case value, valueOrClose, key, keyOrClose, colon, commaOrClose
    }

    /// Skips a whole nested array or object, checking it is JSON as it goes: keys, colons,
    /// commas, values and brackets in their places (until 2026-12-05 only the brackets were
    /// paired, so `[1 2 garbage]` or `{"a" 1 : :}` inside a line passed and the line was
    /// kept). Open containers are a stack of bits (objects 1, arrays 0), never recursion, so
    /// any depth is skipped on a small thread stack.
    private func skipContainer(_ i: inout Int, _ end: Int) throws(Failure) {
        var open = BitStack()
        var expect = Expect.value
        while true {
            skipSpace(&i, end)
            guard i < end else { throw Failure(message: "a nested value is not closed (truncated line?)") }
            let byte = b[i]
            switch expect {
            case .value, .valueOrClose:
                if byte == UInt8(ascii: "]"), expect == .valueOrClose {
                    break
                } else if byte == UInt8(ascii: "{") {
                    open.push(true)
                    i += 1
                    expect = .keyOrClose
                    continue
                } else if byte == UInt8(ascii: "[") {
                    open.push(false)
                    i += 1
                    expect = .valueOrClose
                    continue
                } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                    throw Failure(message: "mismatched bracket at byte \(i + 1)")
                } else {
                    _ = try scanValue(&i, end)
                    expect = .commaOrClose
                    continue
                }
            case .key, .keyOrClose:
                if byte == UInt8(ascii: "}"), expect == .keyOrClose { break }
                if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") { throw Failure(message: "mismatched bracket at byte \(i + 1)") }
                guard byte == UInt8(ascii: "\"") else { throw Failure(message: "expected a key at byte \(i + 1)") }
                _ = try scanString(&i, end)
                expect = .colon
                continue
            case .colon:
                guard byte == UInt8(ascii: ":") else { throw Failure(message: "expected ':' at byte \(i + 1)") }
                i += 1
                expect = .value
                continue
            case .commaOrClose:
                if byte == UInt8(ascii: ",") {
                    i += 1
                    expect = open.top ? .key : .value
                    continue
                }
                guard byte == (open.top ? UInt8(ascii: "}") : UInt8(ascii: "]")) else {
                    throw Failure(message: byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") ? "mismatched bracket at byte \(i + 1)"
                                  : "expected ',' or a closing bracket at byte \(i + 1)")
                }
            }
            // A closing bracket that matches the innermost open container.
            open.pop()
            i += 1
            if open.isEmpty { return }
            expect = .commaOrClose
        }
    }

    /// The kinds of the open containers: 64 in a word, deeper ones in an array.
    private struct BitStack {
        private var word: UInt64 = 0
        private var count = 0
        private var spilled: [UInt64] = []

        var isEmpty: Bool { count == 0 }
        var top: Bool { word & 1 == 1 }

        mutating func push(_ bit: Bool) {
            if count > 0 && count % 64 == 0 {
                spilled.append(word)
                word = 0
            }
            word = word << 1 | (bit ? 1 : 0)
            count += 1
        }

        mutating func pop() {
            count -= 1
            word >>= 1
            if count > 0 && count % 64 == 0 { word = spilled.removeLast() }
        }
    }

    // MARK: - Decoding

    /// The bytes of a string value with escapes resolved, or nil when they are not valid
    /// Unicode (a bad escape, a lone surrogate, invalid UTF-8) or hold U+0000: a raw NUL
    /// rejects the whole line (SPEC 2), so its escaped form must not slip into a field, a
    /// Redis value or a CSV cell either.
    package func decodeString(_ range: Range<Int>, escaped: Bool) -> String? {
        decode(range, escaped: escaped, replacing: false)
    }

    /// `decodeString` with each part that is not valid Unicode, or is U+0000, written as
    /// U+FFFD, as the access-log reader writes invalid bytes: for the text fields funnel does
    /// not require (a URL, a referrer, a property), where one bad byte must not lose the whole
    /// value (until 2026-12-05 it did, without a word: a URL with one Latin-1 `é` lost its
    /// campaign; a review).
    package func decodeStringReplacing(_ range: Range<Int>, escaped: Bool) -> String {
        decode(range, escaped: escaped, replacing: true) ?? ""
    }

    private func decode(_ range: Range<Int>, escaped: Bool, replacing: Bool) -> String? {
        let raw = UnsafeBufferPointer(rebasing: b[range])
        func lossy(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
            Self.string(validating: bytes) ?? (replacing ? String(decoding: bytes, as: UTF8.self) : nil)
        }
        if !escaped { return lossy(raw) }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]
        var i = 0
        while i < raw.count {
            let byte = raw[i]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                i += 1
                continue
            }
            guard i + 1 < raw.count else {
                if !replacing { return nil }
                out += replacement
                break
            }
            let kind = raw[i + 1]
            i += 2
            switch kind {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(kind)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(raw, i)
                if scalar != nil { i += 4 }
                if let high = scalar, high >= 0xD800 && high < 0xDC00 {
                    if i + 6 <= raw.count, raw[i] == UInt8(ascii: "\\"), raw[i + 1] == UInt8(ascii: "u"),
                       let low = hex4(raw, i + 2), low >= 0xDC00, low < 0xE000 {
                        scalar = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    } else {
                        scalar = nil
                    }
                } else if let low = scalar, low >= 0xDC00 && low < 0xE000 {
                    scalar = nil
                }
                guard let scalar, scalar != 0, let unicode = Unicode.Scalar(scalar) else {
                    if !replacing { return nil }
                    out += replacement
                    continue
                }
                out.append(contentsOf: String(Character(unicode)).utf8)
            default:
                if !replacing { return nil }
                out += replacement
            }
        }
        return out.withUnsafeBufferPointer { lossy($0) }
    }

    /// The text of valid UTF-8, or nil. Most values are ASCII: told eight bytes at a step and
    /// made with `String(decoding:)`'s fast path, where the generic `String(validating:)`
    /// costs about a thousand instructions for a short string.
    private static func string(validating raw: UnsafeBufferPointer<UInt8>) -> String? {
        guard UTF8Validation.isASCII(raw) else { return String(validating: raw, as: UTF8.self) }
        return String(decoding: raw, as: UTF8.self)
    }

    private func hex4(_ raw: UnsafeBufferPointer<UInt8>, _ at: Int) -> UInt32? {
        guard at + 4 <= raw.count else { return nil }
        var value: UInt32 = 0
        for k in at..<(at + 4) {
            guard let digit = Hex.value(raw[k]) else { return nil }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    func keyEquals(_ range: Range<Int>, _ key: StaticString) -> Bool {
        guard range.count == key.utf8CodeUnitCount else { return false }
        let start = key.utf8Start
        for k in 0..<range.count where b[range.lowerBound + k] != start[k] { return false }
        return true
    }

    package func bytes(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: b[range])
    }
}
