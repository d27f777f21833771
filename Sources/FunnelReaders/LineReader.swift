import FunnelCore
#if canImport(Glibc)
import Glibc
#endif

/// Splits an `InputStream` into lines without copying them into Strings.
///
/// Lines are handed out as views into one large buffer, valid only during the callback. A
/// partial line at the end of a buffer is moved to its front and never rescanned. A line longer
/// than `maxLineLength` is not buffered whole: its first bytes are kept for the reject record
/// and the rest is skipped up to the next newline, so memory stays bounded whatever the input.
public final class LineReader {
    public enum Item {
        /// A line without its `\n` (and without a `\r` before it).
        case line(UnsafeRawBufferPointer, number: Int)
        /// A line over the limit: its first bytes, its number and its full length.
        case tooLong(prefix: UnsafeRawBufferPointer, number: Int, length: Int)
    }

    public static let defaultMaxLineLength = 64 * 1024

    private let stream: InputStream
    private let maxLineLength: Int
    private var buffer: UnsafeMutableRawBufferPointer
    public private(set) var lineCount = 0

    public init(stream: InputStream, maxLineLength: Int = LineReader.defaultMaxLineLength, chunkSize: Int = 1 << 20) {
        self.stream = stream
        self.maxLineLength = maxLineLength
        buffer = .allocate(byteCount: max(chunkSize, maxLineLength * 2) + 1, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Calls `body` for every line. The last line counts even without a final newline, unless
    /// the input was damaged: a partial line cut by the damage is returned as `tail` instead.
    /// Returns the damage, if any, and the cut line.
    public func forEach(_ body: (Item) throws -> Void) rethrows -> (damage: InputDamage?, tail: [UInt8]) {
        let base = buffer.baseAddress!
        var filled = 0  // bytes in buffer
        var start = 0   // start of the current (unfinished) line
        var skipping = false
        var skipPrefix: [UInt8] = []
        var skipLength = 0
        while true {
            if start > 0 {
                let pending = filled - start
                if pending > 0 { memmove(base, base + start, pending) }
                filled = pending
                start = 0
            }
            let count = stream.read(into: UnsafeMutableRawBufferPointer(start: base + filled, count: buffer.count - 1 - filled))
            if count == 0 { break }
            let scanStart = filled
            filled += count
            var cursor = scanStart
            while cursor < filled {
                guard let hit = memchr(base + cursor, 0x0A, filled - cursor) else { break }
                let newline = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
                if skipping {
                    lineCount += 1
                    keepPrefix(&skipPrefix, base + start, newline - start)
                    skipLength += newline - start
                    try skipPrefix.withUnsafeBytes { try body(.tooLong(prefix: $0, number: lineCount, length: skipLength)) }
                    skipping = false
                } else {
                    try emit(base, from: start, to: newline, body)
                }
                start = newline + 1
                cursor = start
            }
            if !skipping, filled - start > maxLineLength {
                skipping = true
                skipPrefix = []
                skipLength = 0
            }
            if skipping {
                keepPrefix(&skipPrefix, base + start, filled - start)
                skipLength += filled - start
                start = filled
            }
        }
        if let damage = stream.damage {
            let tail = skipping ? skipPrefix : Array(UnsafeRawBufferPointer(start: base + start, count: filled - start))
            return (damage, tail)
        }
        if skipping {
            lineCount += 1
            try skipPrefix.withUnsafeBytes { try body(.tooLong(prefix: $0, number: lineCount, length: skipLength)) }
        } else if filled > start {
            try emit(base, from: start, to: filled, body)
        }
        return (nil, [])
    }

    /// Adds the next bytes of a skipped line to its prefix, up to the length a reject keeps
    /// (`Reject.rawLimit`): the line itself may be shorter than that when the limit is low.
    private func keepPrefix(_ prefix: inout [UInt8], _ start: UnsafeMutableRawPointer, _ count: Int) {
        let take = min(Reject.rawLimit - prefix.count, count)
        if take > 0 { prefix.append(contentsOf: UnsafeRawBufferPointer(start: start, count: take)) }
    }

    @inline(__always)
    private func emit(_ base: UnsafeMutableRawPointer, from: Int, to: Int, _ body: (Item) throws -> Void) rethrows {
        lineCount += 1
        var end = to
        if end > from, base.load(fromByteOffset: end - 1, as: UInt8.self) == 0x0D { end -= 1 }
        if end - from > maxLineLength {
            try body(.tooLong(prefix: UnsafeRawBufferPointer(start: base + from, count: min(Reject.rawLimit, end - from)),
                              number: lineCount, length: end - from))
        } else {
            try body(.line(UnsafeRawBufferPointer(start: base + from, count: end - from), number: lineCount))
        }
    }
}
