/// Writes bytes at a pointer within a fixed capacity, for bytes made hundreds of thousands of
/// times a run (a session's `sessions.ndjson` line, its events' JSON, a record's encoding).
///
/// Appending to an array checks the array's uniqueness and capacity at every call, and a
/// session's line is some sixty appends: that was about 13,000 instructions a session. A
/// writer checks its capacity only. When something does not fit, the writer marks itself
/// `overflowed` and writes nothing more; `ByteWriter.bytes` then runs the same body again
/// with four times the room, so a caller never needs to know a value's length in advance.
public struct ByteWriter {
    @usableFromInline let base: UnsafeMutablePointer<UInt8>
    @usableFromInline let capacity: Int
    /// Bytes written so far.
    public var count = 0
    /// Set when a write did not fit; nothing is written after it.
    @inlinable public var overflowed: Bool { didOverflow }
    @usableFromInline var didOverflow = false

    @inlinable
    public init(base: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    /// Calls `use` with the bytes `body` writes, made in a buffer of `capacity` bytes on the
    /// stack (or, when they do not fit, on the heap, four times larger each time).
    @inlinable @inline(__always)
    public static func withBytes<R>(
        capacity: Int = 1024, _ body: (inout ByteWriter) -> Void, use: (UnsafeBufferPointer<UInt8>) -> R
    ) -> R {
        var room = capacity
        while true {
            let made = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: room) { buffer -> R? in
                var writer = ByteWriter(base: buffer.baseAddress!, capacity: buffer.count)
                body(&writer)
                return writer.overflowed ? nil : use(UnsafeBufferPointer(start: writer.base, count: writer.count))
            }
            if let made { return made }
            room *= 4
        }
    }

    /// The bytes `body` writes, as an array (see `withBytes`). Its own loop rather than a call
    /// of `withBytes`: through that generic call the record encoder's field writes stopped
    /// being inlined (80 million more instructions on the bench's size S).
    @inlinable
    public static func bytes(capacity: Int = 1024, _ body: (inout ByteWriter) -> Void) -> [UInt8] {
        var room = capacity
        while true {
            let made = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: room) { buffer -> [UInt8]? in
                var writer = ByteWriter(base: buffer.baseAddress!, capacity: buffer.count)
                body(&writer)
                return writer.overflowed ? nil : Array(UnsafeBufferPointer(start: writer.base, count: writer.count))
            }
            if let made { return made }
            room *= 4
        }
    }

    /// Appends the bytes `body` writes to `out` in one copy (see `withBytes`).
    @inlinable @inline(__always)
    public static func append(to out: inout [UInt8], capacity: Int = 1024, _ body: (inout ByteWriter) -> Void) {
        withBytes(capacity: capacity, body) { out.append(contentsOf: $0) }
    }

    /// Whether `size` more bytes fit; marks the writer overflowed when they do not.
    @inlinable @inline(__always)
    public mutating func fits(_ size: Int) -> Bool {
        if !didOverflow, count + size <= capacity { return true }
        didOverflow = true
        return false
    }

    @inlinable @inline(__always)
    public mutating func write(_ byte: UInt8) {
        guard fits(1) else { return }
        base[count] = byte
        count += 1
    }

    /// Copies `bytes` after a check the caller made (`fits`).
    @inlinable @inline(__always)
    public mutating func writeUnchecked(_ bytes: UnsafeBufferPointer<UInt8>) {
        if let start = bytes.baseAddress { (base + count).update(from: start, count: bytes.count) }
        count += bytes.count
    }

    @inlinable @inline(__always)
    public mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard fits(bytes.count) else { return }
        writeUnchecked(bytes)
    }

    /// A literal's UTF-8 bytes (keys and punctuation of JSON).
    @inlinable @inline(__always)
    public mutating func write(_ literal: StaticString) {
        write(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// A string's UTF-8 bytes as they are.
    @inlinable @inline(__always)
    public mutating func writeUTF8(_ text: String) {
        text.withUTF8InPlace { write($0) }
    }

    /// An integer's decimal text, as `String(value)` writes it.
    @inlinable @inline(__always)
    public mutating func writeDecimal<T: FixedWidthInteger>(_ value: T) {
        DecimalText.withBytes(of: value) { write($0) }
    }

    /// A string as a JSON string literal, with the escapes `JSONText.escape` makes.
    @inlinable
    public mutating func writeJSONString(_ text: String) {
        text.withUTF8InPlace { writeJSONString($0) }
    }

    /// UTF-8 bytes as a JSON string literal. The bytes between escapes (usually all of them)
    /// are copied in one piece, and they are looked at eight at a step
    /// (`JSONText.anyNeedsEscape`): byte by byte, the check took about 8 instructions a byte,
    /// a fifth of a `sessions.ndjson` line's cost.
    @inlinable
    public mutating func writeJSONString(_ bytes: UnsafeBufferPointer<UInt8>) {
        let length = bytes.count
        // Room for the bytes as they are and the quotes; each escape checks for its own extra.
        // (An empty string has no base address: it is just the quotes, which `write` checks.)
        guard fits(length + 2), let source = bytes.baseAddress else {
            write("\"\"")
            return
        }
        if length <= 16, writeShortPlainString(source, length) { return }
        base[count] = UInt8(ascii: "\"")
        count += 1
        var start = 0
        var index = 0
        while index < length {
            // A word with nothing to escape is passed over; one with something, and the last
            // bytes, byte by byte.
            if index + 8 <= length, !JSONText.anyNeedsEscape(UnsafeRawPointer(source + index).loadUnaligned(as: UInt64.self)) {
                index += 8
                continue
            }
            let end = min(index + 8, length)
            while index < end {
                if JSONText.needsEscape(source[index]) {
                    // The escape (at most 6 bytes for 1), the rest and the closing quote.
                    guard fits(5 + length - start + 1) else { return }
                    (base + count).update(from: source + start, count: index - start)
                    count += index - start
                    count += JSONText.escape(source[index], into: base + count)
                    start = index + 1
                }
                index += 1
            }
        }
        (base + count).update(from: source + start, count: length - start)
        count += length - start
        base[count] = UInt8(ascii: "\"")
        count += 1
    }

    /// Writes a string of at most 16 bytes (room checked by the caller) with its quotes when
    /// none of its bytes needs an escape, and returns whether it did; otherwise it writes
    /// nothing. Most of a session line's strings are that short (its field names, devices,
    /// countries, event names): 8 to 16 bytes are two overlapping words, checked and stored
    /// as words, fewer are copied byte by byte, and neither calls `memmove`. The general loop
    /// took about 180 instructions for a ten-byte field name.
    @inlinable @inline(__always)
    mutating func writeShortPlainString(_ source: UnsafePointer<UInt8>, _ length: Int) -> Bool {
        let target = base + count
        if length >= 8 {
            let first = UnsafeRawPointer(source).loadUnaligned(as: UInt64.self)
            let last = UnsafeRawPointer(source + (length - 8)).loadUnaligned(as: UInt64.self)
            guard !JSONText.anyNeedsEscape(first), !JSONText.anyNeedsEscape(last) else { return false }
            UnsafeMutableRawPointer(target + 1).storeBytes(of: first, as: UInt64.self)
            UnsafeMutableRawPointer(target + 1 + (length - 8)).storeBytes(of: last, as: UInt64.self)
        } else {
            for index in 0..<length {
                let byte = source[index]
                if JSONText.needsEscape(byte) { return false }
                target[1 + index] = byte
            }
        }
        target[0] = UInt8(ascii: "\"")
        target[1 + length] = UInt8(ascii: "\"")
        count += length + 2
        return true
    }
}
