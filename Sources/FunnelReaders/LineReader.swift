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

    /// Bytes a read asks for: reads fill the buffer up to this much, and further only for a
    /// line longer than it. The buffer holds two lines of the limit, but its pages past this
    /// are touched only by such a line: a run of many files under `max_line_length: 4 MiB`
    /// held 8 MiB a file until 2026-12-05 (a review: 256 files, 2.2 GB).
    private let chunkSize: Int
    /// The most of the buffer a read has filled: what the reader holds in memory.
    public private(set) var bufferUsed = 0

    public init(stream: InputStream, maxLineLength: Int = LineReader.defaultMaxLineLength, chunkSize: Int = 1 << 20) {
        self.stream = stream
        self.maxLineLength = maxLineLength
        self.chunkSize = max(1, chunkSize)
        buffer = .allocate(byteCount: max(chunkSize, maxLineLength * 2) + 1, alignment: 16)
    }

    deinit {
        buffer.deallocate()
        prefix.deallocate()
    }

    // Reading state, kept between calls to `next()`.
    private var filled = 0      // bytes in buffer
    private var start = 0       // start of the current (unfinished) line
    private var cursor = 0      // where the newline search resumes
    private var skipping = false
    private var prefix: UnsafeMutableRawBufferPointer = .allocate(byteCount: Reject.rawLimit, alignment: 1)
    private var prefixCount = 0
    private var skipLength = 0
    /// Of a skipped line, the bytes before its first NUL byte, and whether one was seen: a
    /// line cut short before a hole (`lineAfterHole`).
    private var skipCut = 0
    private var skipSawNUL = false
    /// Whether the last byte of a skipped line read so far is a CR (its LF may come next).
    private var skippedCR = false
    private var ended = false
    /// Set once `next()` returned nil: the damage that ended the input early, if any, and the
    /// partial line it cut.
    public private(set) var end: (damage: InputDamage?, tail: [UInt8]) = (nil, [])
    /// Whether the input's last line had no line end (a file still being copied is cut
    /// anywhere; a log a server writes ends each line).
    public private(set) var endsWithoutLineEnd = false
    /// The NUL bytes before the line just handed out: a run of them at a line's start is the
    /// hole a crash leaves where a file's tail was, and is no part of the line, so that a hole
    /// longer than the line limit (whole blocks of a file system) does not take the line the
    /// server wrote behind it (rv75a: a 64 KiB hole was a `line_too_long` reject, and the good
    /// line after it was lost). A hole with nothing after it is handed out as an empty line.
    public private(set) var holeBeforeLine = 0
    private var hole = 0
    private var atLineStart = true

    /// The next line, or nil at the end of the input (then `end` tells whether it was cut
    /// short). The line is a view into the reader's buffer, valid until the next call: pulling
    /// lines one at a time is what lets several files be merged by event time.
    public func next() -> Item? {
        let base = buffer.baseAddress!
        while !ended {
            if atLineStart && !skipping {
                while start < filled, base.load(fromByteOffset: start, as: UInt8.self) == 0 {
                    start += 1
                    hole += 1
                }
                cursor = max(cursor, start)
                if start < filled { atLineStart = false }
            }
            if cursor < filled, let hit = memchr(base + cursor, 0x0A, filled - cursor) {
                let newline = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
                let lineStart = start
                start = newline + 1
                cursor = start
                if skipping {
                    skipping = false
                    // A line made long by a hole inside it (a line cut short, then the hole,
                    // then the server's next line: rv75g) gives up the line after the hole.
                    lineCount += 1
                    let cut = skipSawNUL ? skipCut : skipCut + (Self.firstNUL(base, from: lineStart, to: newline) ?? 0)
                    if let rescued = lineAfterHole(base, from: lineStart, to: newline, skipped: skipLength, cut: cut) {
                        return rescued
                    }
                    // A CRLF line's length and kept bytes are without its CR, as `emit` has them.
                    let crHere = newline > lineStart && base.load(fromByteOffset: newline - 1, as: UInt8.self) == 0x0D
                    let content = newline - lineStart - (crHere ? 1 : 0)
                    keepPrefix(base + lineStart, content)
                    skipLength += content
                    if newline == lineStart && skippedCR {
                        if prefixCount == skipLength { prefixCount -= 1 }  // the CR is the last byte kept
                        skipLength -= 1
                    }
                    startLine()
                    return .tooLong(prefix: UnsafeRawBufferPointer(start: prefix.baseAddress, count: prefixCount), number: lineCount, length: skipLength)
                }
                return emit(base, from: lineStart, to: newline)
            }
            cursor = filled
            // A line of the limit whose CR is the last byte read may end with the next byte:
            // it is not skipped yet (until 2026-12-05 a CRLF line of exactly the limit was
            // rejected when its CR fell at the end of a read, and kept elsewhere).
            let crlfPending = filled - start == maxLineLength + 1 && base.load(fromByteOffset: filled - 1, as: UInt8.self) == 0x0D
            if !skipping, filled - start > maxLineLength, !crlfPending {
                skipping = true
                prefixCount = 0
                skipLength = 0
                skipCut = 0
                skipSawNUL = false
            }
            if skipping {
                if !skipSawNUL {
                    let nul = Self.firstNUL(base, from: start, to: filled)
                    skipCut += nul ?? filled - start
                    skipSawNUL = nul != nil
                }
                // The text after a hole that ends in this part may begin the line after it:
                // kept with the hole's last NUL bytes for `lineAfterHole` (rv76e: a line that
                // began before a read's end was lost, `line_too_long`).
                let kept = skipSawNUL ? keptAfterHole(base, from: start, to: filled) : filled
                keepPrefix(base + start, kept - start)
                skipLength += kept - start
                if kept > start { skippedCR = kept == filled && base.load(fromByteOffset: filled - 1, as: UInt8.self) == 0x0D }
                start = kept
            }
            if start > 0 {
                let pending = filled - start
                if pending > 0 { memmove(base, base + start, pending) }
                filled = pending
                cursor = pending
                start = 0
            }
            // Up to the chunk, or half a chunk more than a pending line that fills it (the
            // line is at most the limit and a byte: the buffer always has room for more).
            let readEnd = min(buffer.count - 1, max(chunkSize, filled + chunkSize / 2 + 1))
            let count = stream.read(into: UnsafeMutableRawBufferPointer(start: base + filled, count: readEnd - filled))
            if count > 0 {
                filled += count
                bufferUsed = max(bufferUsed, filled)
                continue
            }
            ended = true
            if let damage = stream.damage {
                end = (damage, skipping ? Array(prefix.prefix(prefixCount)) : Array(UnsafeRawBufferPointer(start: base + start, count: filled - start)))
                return nil
            }
            if skipping {
                lineCount += 1
                if filled > start {
                    // Text kept after a hole, the input's last line without a line end.
                    if let rescued = lineAfterHole(base, from: start, to: filled, skipped: skipLength, cut: skipCut) {
                        endsWithoutLineEnd = true
                        start = filled
                        return rescued
                    }
                    keepPrefix(base + start, filled - start)
                    skipLength += filled - start
                    skippedCR = base.load(fromByteOffset: filled - 1, as: UInt8.self) == 0x0D
                    start = filled
                }
                // A CR that ends the input is no part of the line, as `emit` has it for a
                // shorter one (until 2026-12-05 an over-long last line counted it; a review).
                if skippedCR && skipLength > 0 {
                    if prefixCount == skipLength { prefixCount -= 1 }
                    skipLength -= 1
                }
                startLine()
                return .tooLong(prefix: UnsafeRawBufferPointer(start: prefix.baseAddress, count: prefixCount), number: lineCount, length: skipLength)
            }
            if filled > start {
                let lineStart = start
                start = filled
                endsWithoutLineEnd = true
                return emit(base, from: lineStart, to: filled)
            }
            if hole > 0 {
                // A hole at the input's end, nothing after it.
                lineCount += 1
                startLine()
                return .line(UnsafeRawBufferPointer(start: base, count: 0), number: lineCount)
            }
        }
        return nil
    }

    /// Calls `body` for every line. The last line counts even without a final newline, unless
    /// the input was damaged: a partial line cut by the damage is returned as `tail` instead.
    /// Returns the damage, if any, and the cut line.
    public func forEach(_ body: (Item) throws -> Void) rethrows -> (damage: InputDamage?, tail: [UInt8]) {
        while let item = next() { try body(item) }
        return end
    }

    /// Adds the next bytes of a skipped line to its prefix, up to the length a reject keeps
    /// (`Reject.rawLimit`): the line itself may be shorter than that when the limit is low.
    private func keepPrefix(_ from: UnsafeMutableRawPointer, _ count: Int) {
        let take = min(prefix.count - prefixCount, count)
        if take > 0 {
            (prefix.baseAddress! + prefixCount).copyMemory(from: from, byteCount: take)
            prefixCount += take
        }
    }

    /// The text after the last NUL byte of an over-long line's last part (`from..<to`, its
    /// newline at `to`), as a line of its own with the bytes skipped before it as its hole
    /// (`holeBeforeLine`, of which `cutBeforeHole` were the cut line's text), numbered as the
    /// line counted; nil when that part holds no NUL byte, or nothing after it, or more than the
    /// limit after it.
    private func lineAfterHole(_ base: UnsafeMutableRawPointer, from: Int, to: Int, skipped: Int, cut: Int) -> Item? {
        guard let last = lastNUL(base, from: from, to: to) else { return nil }
        // A hole is a run of `holeRunMinimum` NUL bytes or more, as inside a shorter line (a
        // run reaching back into an earlier read is one; rv75h: one NUL byte was a hole here).
        var runStart = last
        while runStart > from && base.load(fromByteOffset: runStart - 1, as: UInt8.self) == 0 { runStart -= 1 }
        guard last - runStart + 1 >= Self.holeRunMinimum || (runStart == from && skipped > 0) else { return nil }
        let tail = to - (last + 1) - (to > last + 1 && base.load(fromByteOffset: to - 1, as: UInt8.self) == 0x0D ? 1 : 0)
        guard tail > 0 else { return nil }
        hole += skipped + (last + 1 - from)
        startLine()
        cutBeforeHole = cut
        return .line(UnsafeRawBufferPointer(start: base + last + 1, count: tail), number: lineCount)
    }

    /// Where the bytes of a skipped line's part `from..<to` to keep begin: at the last
    /// `holeRunMinimum` NUL bytes of a hole followed by at most the limit's text, none
    /// included (or at the part's start, when a shorter run reaches it: the hole came
    /// before), so that the line after the hole is read whatever read it begins in; `to`
    /// (keep none) otherwise.
    private func keptAfterHole(_ base: UnsafeMutableRawPointer, from: Int, to: Int) -> Int {
        guard let last = lastNUL(base, from: from, to: to) else { return to }
        var runStart = last
        while runStart > from && last - runStart + 1 < Self.holeRunMinimum && base.load(fromByteOffset: runStart - 1, as: UInt8.self) == 0 {
            runStart -= 1
        }
        return last - runStart + 1 >= Self.holeRunMinimum || runStart == from ? runStart : to
    }

    /// The last NUL byte of `from..<to` with at most the limit and a byte of text after it,
    /// where a hole before a line would end (`lineAfterHole`, `keptAfterHole`); looked for
    /// only that far from `to` (the two walked back over the whole part, a read of up to
    /// 1 MiB, for a part whose last NUL lay further back; Glibc's module has no `memrchr`).
    private func lastNUL(_ base: UnsafeMutableRawPointer, from: Int, to: Int) -> Int? {
        let reach = max(from, to - maxLineLength - 2)
        var last = to - 1
        while last >= reach && base.load(fromByteOffset: last, as: UInt8.self) != 0 { last -= 1 }
        return last >= reach ? last : nil
    }

    /// How far into `from..<to` its first NUL byte lies, if it holds one (`memchr`).
    private static func firstNUL(_ base: UnsafeMutableRawPointer, from: Int, to: Int) -> Int? {
        memchr(base + from, 0, to - from).map { UnsafeRawPointer($0) - UnsafeRawPointer(base + from) }
    }

    /// The shortest run of NUL bytes inside a line taken for a hole, not for stray bytes.
    public static let holeRunMinimum = 8

    /// Of `holeBeforeLine`, the bytes of a line cut short before the NUL bytes (`lineAfterHole`).
    public private(set) var cutBeforeHole = 0

    /// After a line is handed out: the hole before it is said, and the next line's looked for.
    @inline(__always)
    private func startLine() {
        holeBeforeLine = hole
        cutBeforeHole = 0
        hole = 0
        atLineStart = true
    }

    @inline(__always)
    private func emit(_ base: UnsafeMutableRawPointer, from: Int, to: Int) -> Item {
        lineCount += 1
        startLine()
        var end = to
        if end > from, base.load(fromByteOffset: end - 1, as: UInt8.self) == 0x0D { end -= 1 }
        if end - from > maxLineLength {
            if let cut = Self.firstNUL(base, from: from, to: end), let rescued = lineAfterHole(base, from: from, to: to, skipped: 0, cut: cut) {
                return rescued
            }
            return .tooLong(prefix: UnsafeRawBufferPointer(start: base + from, count: min(Reject.rawLimit, end - from)),
                            number: lineCount, length: end - from)
        }
        return .line(UnsafeRawBufferPointer(start: base + from, count: end - from), number: lineCount)
    }
}
