import CZlib
#if canImport(Glibc)
import Glibc
#endif

/// Bytes of one input: a plain file, a gzip file of any number of members, or stdin (`-`).
///
/// Gzip is detected by its magic bytes, never by the file name. zlib's `inflate` is driven
/// directly rather than through `gzread` so that damage is exact: every byte decompressed
/// before a bad CRC or a truncation is delivered, then the damage is reported once.
public final class InputStream {
    public let name: String
    private let fd: Int32
    private let ownsFD: Bool
    private var input: UnsafeMutableRawBufferPointer
    /// The size of the buffer of compressed bytes: what the stream holds in memory, with
    /// inflate's window.
    public var bufferBytes: Int { input.count }
    private var inputStart = 0
    private var inputEnd = 0
    private var sawEOF = false
    private var stream: UnsafeMutablePointer<z_stream>?
    private var streamEnded = false
    private var mode: Mode = .undecided
    public private(set) var damage: InputDamage?
    /// Compressed (or plain) bytes consumed from the file so far.
    public private(set) var bytesRead: Int64 = 0
    /// CRC-32 of those bytes (zlib's), for the run manifest: a file read again is recognised.
    public private(set) var checksum: UInt = 0
    /// Set before reading: the CRC-32 of the first `contentPrefixLength` bytes of the content
    /// (what the lines are read from: the decompressed bytes of a gzip file, a plain file's
    /// own) is kept in `contentPrefixChecksum` as they pass (nil when there are fewer), so that
    /// a file read before can be told grown (the same lines, more after them) from changed. A
    /// gzip file compressed again whole with more lines has other bytes but the same content
    /// before its new lines: grown.
    ///
    /// Set after bytes were read and handed back (stdin, peeked to name it), the prefix's
    /// CRC-32 is taken of those bytes when they hold it (until 2026-12-06 it was left nil, and
    /// a stream grown since the stream before was called changed).
    public var contentPrefixLength: Int64? {
        didSet {
            guard let prefix = contentPrefixLength else { return }
            if prefix == 0 {
                contentPrefixChecksum = 0
            } else if contentPrefixChecksum == nil, replayStart == 0 {
                // The content from its start: the bytes handed back, then (a plain stream)
                // those read past them and not yet handed out: a first read of a pipe or file
                // takes up to the buffer's size, more than a peek hands back (a review: a
                // stream grown past its first read's length was called changed).
                let pending = mode == .plain ? inputEnd - inputStart : 0
                guard Int64(replay.count + pending) == contentBytes, Int64(replay.count + pending) >= prefix else { return }
                let fromReplay = Int(min(prefix, Int64(replay.count)))
                var crc = replay.withUnsafeBytes { crc32(0, $0.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt(fromReplay)) }
                let rest = Int(prefix) - fromReplay
                if rest > 0 { crc = crc32(crc, (input.baseAddress! + inputStart).assumingMemoryBound(to: Bytef.self), uInt(rest)) }
                contentPrefixChecksum = crc
            }
        }
    }
    public private(set) var contentPrefixChecksum: UInt?
    /// The content's length and CRC-32 so far. For gzip, zlib's running CRC of each member
    /// (which it keeps for the member's trailer) joined with `crc32_combine`: no second pass
    /// over the bytes.
    public var contentBytes: Int64 { sawGzip ? gzipContentBytes : bytesRead }
    public var contentChecksum: UInt {
        guard sawGzip else { return checksum }
        return memberOpen ? crc32_combine(membersChecksum, stream!.pointee.adler, off_t(memberBytes)) : membersChecksum
    }
    private var sawGzip = false
    private var gzipContentBytes: Int64 = 0
    /// The CRC-32 of the members before the open one, and the open one's length so far.
    private var membersChecksum: UInt = 0
    private var memberBytes: Int64 = 0

    private enum Mode { case undecided, plain, gzip, finished }

    /// Bytes handed back by `unread`, delivered before anything else.
    private var replay: [UInt8] = []
    private var replayStart = 0

    /// The one stream on stdin: it can be read only once, so what is read of it to tell an
    /// access log from NDJSON (and handed back with `unread`) must reach the run through the
    /// same stream. Only the run's setup, on one thread, opens inputs.
    nonisolated(unsafe) private static var standardInput: InputStream?

    /// A stream on `path`; for `-`, the process's one stream on stdin.
    public static func opening(_ path: String, bufferSize: Int = 1 << 18, regularOnly: Bool = false) throws(InputError) -> InputStream {
        guard path == "-" else { return try InputStream(path: path, bufferSize: bufferSize, regularOnly: regularOnly) }
        if let standardInput { return standardInput }
        let stream = try InputStream(path: "-")
        standardInput = stream
        return stream
    }

    /// Hands `bytes` (the decompressed bytes last read) back: the next reads give them again
    /// before what follows them.
    public func unread(_ bytes: UnsafeRawBufferPointer) {
        replay = Array(bytes) + replay[replayStart...]
        replayStart = 0
    }

    /// `regularOnly`: the path was a regular file when the run listed it, and must still be
    /// one: it is opened without waiting (a FIFO put in its place since hung the run in `open`
    /// for good: rv77b) and refused if it is not. Without it a FIFO is read (`--input
    /// <(zcat ...)`), as before.
    public init(path: String, bufferSize: Int = 1 << 18, regularOnly: Bool = false) throws(InputError) {
        name = path
        if path == "-" {
            fd = 0
            ownsFD = false
        } else {
            let opened = open(path, O_RDONLY | O_CLOEXEC | (regularOnly ? O_NONBLOCK : 0))
            guard opened >= 0 else { throw InputError(path: path, errno: errno) }
            var info = stat()
            if fstat(opened, &info) == 0 {
                let refused: InputError? = info.st_mode & S_IFMT == S_IFDIR ? InputError(path: path, errno: EISDIR)
                    : regularOnly ? InputError.nonFileKind(info.st_mode).map { InputError(path: path, notAFile: $0) } : nil
                if let refused {
                    close(opened)
                    throw refused
                }
            }
            if regularOnly { _ = fcntl(opened, F_SETFL, fcntl(opened, F_GETFL) & ~O_NONBLOCK) }
            fd = opened
            ownsFD = true
        }
        input = .allocate(byteCount: bufferSize, alignment: 16)
    }

    deinit {
        if let stream {
            inflateEnd(stream)
            stream.deallocate()
        }
        input.deallocate()
        if ownsFD { close(fd) }
    }

    /// Fills `out` with the next bytes; returns 0 at the end. After the end, `damage` tells
    /// whether the input was cut short or corrupt.
    public func read(into out: UnsafeMutableRawBufferPointer) -> Int {
        if replayStart < replay.count {
            let count = min(out.count, replay.count - replayStart)
            replay.withUnsafeBytes { out.baseAddress!.copyMemory(from: $0.baseAddress! + replayStart, byteCount: count) }
            replayStart += count
            if replayStart == replay.count { replay = []; replayStart = 0 }
            return count
        }
        while true {
            switch mode {
            case .finished:
                return 0
            case .undecided:
                if !fillInput(minimum: 2) && inputEnd - inputStart == 0 {
                    mode = .finished
                    return 0
                }
                let available = inputEnd - inputStart
                mode = available >= 2 && input[inputStart] == 0x1F && input[inputStart + 1] == 0x8B ? .gzip : .plain
                if mode == .gzip {
                    // The content is the decompressed bytes: a prefix taken of the raw ones is not it.
                    sawGzip = true
                    contentPrefixChecksum = contentPrefixLength == 0 ? 0 : nil
                }
            case .plain:
                if inputEnd == inputStart, !fillInput(minimum: 1) {
                    mode = .finished
                    return 0
                }
                let count = min(out.count, inputEnd - inputStart)
                out.baseAddress!.copyMemory(from: input.baseAddress! + inputStart, byteCount: count)
                inputStart += count
                return count
            case .gzip:
                let produced = inflateInto(out)
                if produced > 0 || mode == .finished { return produced }
            }
        }
    }

    /// Reads more file bytes behind what is buffered; false at end of file or on a read error.
    @discardableResult
    private func fillInput(minimum: Int) -> Bool {
        if inputStart > 0 {
            let remaining = inputEnd - inputStart
            if remaining > 0 {
                memmove(input.baseAddress!, input.baseAddress! + inputStart, remaining)
            }
            inputStart = 0
            inputEnd = remaining
        }
        var grew = false
        while !sawEOF, inputEnd - inputStart < minimum, inputEnd < input.count {
            let count = Glibc.read(fd, input.baseAddress! + inputEnd, input.count - inputEnd)
            if count > 0 {
                inputEnd += count
                let start = (input.baseAddress! + inputEnd - count).assumingMemoryBound(to: Bytef.self)
                // A plain file's content is its bytes (for gzip, `inflateInto` keeps it).
                // Not when the prefix ended before these bytes (a length set after the first
                // bytes were read, as stdin's is after its first line names it): a review's
                // `--input -` bigger than the stream before it trapped here.
                if mode != .gzip, !sawGzip, let prefix = contentPrefixLength, contentPrefixChecksum == nil, bytesRead <= prefix, bytesRead + Int64(count) >= prefix {
                    contentPrefixChecksum = crc32(checksum, start, uInt(prefix - bytesRead))
                }
                bytesRead += Int64(count)
                checksum = crc32(checksum, start, uInt(count))
                grew = true
            } else if count == 0 {
                sawEOF = true
            } else if errno == EINTR {
                continue
            } else {
                damage = InputDamage(kind: .readError, message: String(cString: strerror(errno)))
                sawEOF = true
            }
        }
        return grew
    }

    private func startMember() -> Bool {
        if stream == nil {
            stream = .allocate(capacity: 1)
            stream!.initialize(to: z_stream())
            // 16 + 15: gzip wrapper only, 32 KiB window.
            guard inflateInit2_(stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                damage = InputDamage(kind: .corrupt, message: "zlib could not start")
                return false
            }
        } else {
            inflateReset(stream)
        }
        streamEnded = false
        return true
    }

    private var memberOpen = false

    /// True when everything left in the file is zero bytes (read through in buffer-sized
    /// steps, so a padded file of any size costs no memory). `gzip -d` ignores such padding.
    private func skipZeroPadding() -> Bool {
        while true {
            guard input[inputStart..<inputEnd].allSatisfy({ $0 == 0 }) else { return false }
            inputStart = inputEnd
            if sawEOF { return true }
            fillInput(minimum: input.count)
            if inputEnd == inputStart { return sawEOF }
        }
    }

    private func inflateInto(_ out: UnsafeMutableRawBufferPointer) -> Int {
        if !memberOpen {
            if inputEnd - inputStart < 2 { fillInput(minimum: 2) }
            let available = inputEnd - inputStart
            if available == 0 {
                mode = .finished
                return 0
            }
            // Another member must start with the magic bytes; anything else after a complete
            // member is reported rather than silently ignored as gzread would.
            guard available >= 2, input[inputStart] == 0x1F, input[inputStart + 1] == 0x8B else {
                if skipZeroPadding() {
                    mode = .finished  // zero padding after the last member, as tape archives leave
                    return 0
                }
                damage = InputDamage(kind: .trailingGarbage, message: "bytes after the last gzip member are not gzip data")
                mode = .finished
                return 0
            }
            guard startMember() else {
                mode = .finished
                return 0
            }
            memberOpen = true
            memberBytes = 0
        }
        let z = stream!
        let checksumBefore = contentPrefixLength != nil && contentPrefixChecksum == nil ? contentChecksum : 0
        let bytesBefore = gzipContentBytes
        z.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
        z.pointee.avail_out = uInt(out.count)
        while z.pointee.avail_out > 0 {
            if inputEnd == inputStart {
                if !fillInput(minimum: 1) {
                    // Input ended inside a member: keep what was produced, report truncation.
                    if damage == nil {
                        damage = InputDamage(kind: .truncated, message: "the gzip data ends before its member is complete (truncated file)")
                    }
                    mode = .finished
                    break
                }
            }
            z.pointee.next_in = (input.baseAddress! + inputStart).assumingMemoryBound(to: Bytef.self)
            z.pointee.avail_in = uInt(inputEnd - inputStart)
            let status = inflate(z, Z_NO_FLUSH)
            inputStart = inputEnd - Int(z.pointee.avail_in)
            if status == Z_STREAM_END {
                memberOpen = false
                break
            }
            if status == Z_BUF_ERROR { continue }
            if status != Z_OK {
                let message = z.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
                damage = InputDamage(kind: .corrupt, message: "the gzip data is corrupt: \(message)")
                mode = .finished
                break
            }
        }
        let produced = out.count - Int(z.pointee.avail_out)
        gzipContentBytes += Int64(produced)
        memberBytes += Int64(produced)
        if !memberOpen {
            // The member ended: its CRC (zlib's, checked against its trailer) joins the rest.
            membersChecksum = crc32_combine(membersChecksum, z.pointee.adler, off_t(memberBytes))
            memberBytes = 0
        }
        if let prefix = contentPrefixLength, contentPrefixChecksum == nil, bytesBefore <= prefix, gzipContentBytes >= prefix {
            contentPrefixChecksum = crc32(checksumBefore, out.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt(prefix - bytesBefore))
        }
        return produced
    }
}
