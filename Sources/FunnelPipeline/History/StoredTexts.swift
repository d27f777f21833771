#if canImport(Glibc)
import Glibc
#endif
import FunnelCore

/// A list of texts kept in a visitor row's stored form, each as `<byte length>:<bytes>`
/// (`VisitorRow.encoded()`), made into `String`s only where a step reads them one by one.
///
/// A row lists every client session and session id its visitor ever had, and is read and
/// written whole whenever a run touches the visitor. As `[String]`, a visitor of 160,000
/// client sessions made, encoded and freed 320,000 strings at every flush of a run that
/// added to it; as bytes, its row is read with one pass over its lengths and written with
/// one copy, and a continued visitor's new items are appended to the bytes as they are.
public struct StoredTexts: Sendable, Hashable, Sequence, ExpressibleByArrayLiteral, CustomStringConvertible {
    /// The items, each `<decimal byte length>:<bytes>`, the length without leading zeros.
    /// (The only stored property: with a count beside it, a `VisitorRow` grew past what Swift
    /// copies inline, and every copy of a row went through its generic value witness, 1.5% of
    /// the bench's S run.)
    public private(set) var bytes: [UInt8]

    public init() {
        bytes = []
    }

    /// How many items the list holds: a pass over their lengths.
    public var count: Int {
        var count = 0
        forEachItem { _ in count += 1 }
        return count
    }

    public init<Texts: Collection<String>>(_ texts: Texts) {
        self.init()
        bytes.reserveCapacity(Self.storedSize(of: texts))
        for text in texts { append(text) }
    }

    /// The bytes `texts` take in this form.
    static func storedSize<Texts: Collection<String>>(of texts: Texts) -> Int {
        texts.reduce(0) { size, text in
            let count = text.utf8.count
            return size + count + (count < 10 ? 2 : count < 100 ? 3 : count < 1_000 ? 4 : 12)
        }
    }

    public init(arrayLiteral texts: String...) {
        self.init(texts)
    }

    /// The items of `stored`, bytes in this form, or nil when they are not in it (a length
    /// cut short, a byte that is not a digit where a length starts). A length written with
    /// leading zeros is read and written again without them, so that equal lists have equal
    /// bytes.
    public init?(stored: UnsafeBufferPointer<UInt8>) {
        var canonical = true
        let valid = Self.forEachItem(in: stored) { _, _, hasLeadingZero in
            if hasLeadingZero { canonical = false }
        }
        guard valid else { return nil }
        self.init(validated: stored, canonical: canonical)
    }

    /// The items of `stored`, which a caller walking them already found in this form
    /// (`VisitorRow`'s reader, which must walk them to find where the lists end), and whether
    /// every length was without leading zeros.
    init(validated stored: UnsafeBufferPointer<UInt8>, canonical: Bool) {
        self.init()
        if canonical {
            bytes = Array(stored)
        } else {
            Self.forEachItem(in: stored) { _, item, _ in append(item) }
        }
    }

    public var isEmpty: Bool { bytes.isEmpty }

    public var description: String { Array(self).description }

    public mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append($0) }
    }

    public mutating func append(_ item: UnsafeBufferPointer<UInt8>) {
        bytes.appendDecimal(item.count)
        bytes.append(UInt8(ascii: ":"))
        bytes.append(contentsOf: item)
    }

    /// This list followed by `texts`: the stored items copied as they are.
    public func appending<Texts: Collection<String>>(contentsOf texts: Texts) -> StoredTexts {
        var result = StoredTexts()
        result.bytes.reserveCapacity(bytes.count + Self.storedSize(of: texts))
        result.bytes.append(contentsOf: bytes)
        for text in texts { result.append(text) }
        return result
    }

    /// Calls `body` with each item's bytes, in order.
    public func forEachItem(_ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        bytes.withUnsafeBufferPointer { buffer in
            Self.forEachItem(in: buffer) { _, item, _ in body(item) }
            return
        }
    }

    /// This list without the items `removes` says, those items in order and their positions
    /// in this list. `removes` is asked only of items whose `HashedText.hash(of:)` `mayRemove`
    /// holds (a text is made only for those); the items kept are copied in runs, as they are.
    public func removing(mayRemove: (UInt64) -> Bool, _ removes: (String) -> Bool) -> (kept: StoredTexts, removed: [String], positions: [Int]) {
        var kept = StoredTexts()
        var removed: [String] = []
        var positions: [Int] = []
        bytes.withUnsafeBufferPointer { buffer in
            var run = Run()
            Self.forEachMatch(in: buffer, mayMatch: mayRemove, removes) { at, item, position, text in
                run.copy(upTo: at, from: buffer, into: &kept)
                run.start = item.baseAddress! - buffer.baseAddress! + item.count
                removed.append(text)
                positions.append(position)
            }
            run.copy(upTo: buffer.count, from: buffer, into: &kept)
        }
        return (kept, removed, positions)
    }

    /// Calls `body` with the position and text of each item `matches` says, in order, asking
    /// it only of items whose hash `mayMatch` holds (a text is made only for those).
    public func forEachMatch(mayMatch: (UInt64) -> Bool, _ matches: (String) -> Bool, _ body: (Int, String) -> Void) {
        bytes.withUnsafeBufferPointer { buffer in
            Self.forEachMatch(in: buffer, mayMatch: mayMatch, matches) { _, _, position, text in body(position, text) }
        }
    }

    /// `forEachMatch`'s walk, with where each match's length starts and its bytes.
    private static func forEachMatch(in buffer: UnsafeBufferPointer<UInt8>, mayMatch: (UInt64) -> Bool, _ matches: (String) -> Bool,
                                     _ body: (_ at: Int, _ item: UnsafeBufferPointer<UInt8>, _ position: Int, _ text: String) -> Void) {
        var position = 0
        forEachItem(in: buffer) { at, item, _ in
            defer { position += 1 }
            guard mayMatch(HashedText.hash(of: item)) else { return }
            let text = String(decoding: item, as: UTF8.self)
            if matches(text) { body(at, item, position, text) }
        }
    }

    /// This list with `texts` (sorted by text, each once) put in among its items in order,
    /// an item equal to one of them kept once; nil unless this list is itself sorted with
    /// no repeats and every byte of both is ASCII, where the order of the bytes is `String`'s
    /// order. The stored items are copied in runs, as they are.
    public func merging(sorted texts: [String]) -> StoredTexts? {
        guard bytes.withUnsafeBufferPointer(UTF8Validation.isASCII), texts.allSatisfy({ text in
            var text = text
            return text.withUTF8(UTF8Validation.isASCII)
        }) else { return nil }
        var result = StoredTexts()
        result.bytes.reserveCapacity(bytes.count + Self.storedSize(of: texts))
        var inOrder = true
        var next = 0
        bytes.withUnsafeBufferPointer { buffer in
            var previous: UnsafeBufferPointer<UInt8>?
            var run = Run()
            Self.forEachItem(in: buffer) { at, item, _ in
                if let previous, Self.compare(previous, item) >= 0 { inOrder = false }
                previous = item
                while next < texts.count {
                    var text = texts[next]
                    let order = text.withUTF8 { Self.compare($0, item) }
                    if order > 0 { break }
                    next += 1
                    if order == 0 { break }
                    run.copy(upTo: at, from: buffer, into: &result)
                    result.append(text)
                }
            }
            run.copy(upTo: buffer.count, from: buffer, into: &result)
        }
        guard inOrder else { return nil }
        for text in texts[next...] { result.append(text) }
        return result
    }

    /// Hashes (`HashedText.hash`) of texts that `removing` or `forEachMatch` looks for among
    /// many items: a sieve of at least 4,096 bits and 16 a hash turns away nearly every item
    /// with one load, where asking a `Set` of the hashes cost each item a SipHash.
    public struct Hashes {
        private var bits: [UInt64]
        private let mask: UInt64
        private var exact = Set<UInt64>()

        public init<Values: Collection<UInt64>>(_ hashes: Values) {
            var words = 64
            while words * 64 < 16 * hashes.count { words *= 2 }
            bits = [UInt64](repeating: 0, count: words)
            mask = UInt64(words - 1)
            exact.reserveCapacity(hashes.count)
            for hash in hashes {
                bits[Int(truncatingIfNeeded: (hash >> 6) & mask)] |= 1 << (hash & 63)
                exact.insert(hash)
            }
        }

        public var isEmpty: Bool { exact.isEmpty }

        @inline(__always)
        public func contains(_ hash: UInt64) -> Bool {
            bits[Int(truncatingIfNeeded: (hash >> 6) & mask)] & (1 << (hash & 63)) != 0 && exact.contains(hash)
        }
    }

    /// Items of a list being copied as they are: where the run not yet copied starts.
    private struct Run {
        var start = 0

        mutating func copy(upTo end: Int, from buffer: UnsafeBufferPointer<UInt8>, into list: inout StoredTexts) {
            if end > start { list.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start..<end])) }
            start = end
        }
    }

    /// Byte order, a prefix first.
    private static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let common = Swift.min(a.count, b.count)
        if common > 0, let x = a.baseAddress, let y = b.baseAddress {
            let order = memcmp(x, y, common)
            if order != 0 { return Int(order) }
        }
        return a.count - b.count
    }

    public func makeIterator() -> Array<String>.Iterator {
        var texts: [String] = []
        forEachItem { texts.append(String(decoding: $0, as: UTF8.self)) }
        return texts.makeIterator()
    }

    /// The length at `index` (`<digits>:`): where the item starts, its length, whether the
    /// digits had a leading zero; nil when they are not there or the item is cut short.
    static func readLength(_ buffer: UnsafeBufferPointer<UInt8>, at index: Int) -> (start: Int, length: Int, leadingZero: Bool)? {
        var index = index
        let first = index
        var length = 0
        while index < buffer.count, buffer[index] >= UInt8(ascii: "0"), buffer[index] <= UInt8(ascii: "9"), index - first < 10 {
            length = length * 10 + Int(buffer[index] - UInt8(ascii: "0"))
            index += 1
        }
        guard index > first, index < buffer.count, buffer[index] == UInt8(ascii: ":"), buffer.count - index - 1 >= length else { return nil }
        return (index + 1, length, buffer[first] == UInt8(ascii: "0") && index - first > 1)
    }

    /// Calls `body` with each item of `buffer`: where its length starts, its bytes, and
    /// whether its length had a leading zero; false when the bytes are not items of this form
    /// (after the items before).
    @discardableResult
    static func forEachItem(in buffer: UnsafeBufferPointer<UInt8>, _ body: (Int, UnsafeBufferPointer<UInt8>, Bool) -> Void) -> Bool {
        var index = 0
        while index < buffer.count {
            guard let (start, length, leadingZero) = readLength(buffer, at: index) else { return false }
            body(index, UnsafeBufferPointer(rebasing: buffer[start..<(start + length)]), leadingZero)
            index = start + length
        }
        return true
    }
}
