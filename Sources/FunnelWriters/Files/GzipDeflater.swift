import CZlib

/// One gzip member (RFC 1952) made with zlib's `deflate`, for the flat outputs a pipeline
/// asks to be compressed (`sink.gzip`). zlib's header carries no file name and a time of 0,
/// so the same sessions give the same bytes, run after run (SPEC 8.2: deterministic outputs).
/// Level 6, zlib's default: the bench's M sessions (80.7 MB) become 5.5 MB, for 0.5 to 0.9 s
/// more of a 7 to 8 s run (the end's writer compresses as it writes).
final class GzipDeflater {
    static let level: Int32 = 6
    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutableRawBufferPointer

    init() throws(SinkError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = .allocate(byteCount: 1 << 18, alignment: 16)
        let status = deflateInit2_(stream, Self.level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                                   Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deallocate()
            output.deallocate()
            throw SinkError("cannot start gzip compression: zlib error \(status) (out of memory?)")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
        output.deallocate()
    }

    /// Compresses all of `input`, handing each piece of compressed output to `emit`; with
    /// `finish`, also ends the member (the last block and the CRC-32 and size trailer).
    func compress(_ input: UnsafeRawBufferPointer, finish: Bool, _ emit: (UnsafeRawBufferPointer) throws(SinkError) -> Void) throws(SinkError) {
        let base = input.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self)) }
        stream.pointee.next_in = base
        stream.pointee.avail_in = uInt(input.count)
        let flush = finish ? Z_FINISH : Z_NO_FLUSH
        while true {
            stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(output.count)
            let status = deflate(stream, flush)
            let produced = output.count - Int(stream.pointee.avail_out)
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                throw SinkError("gzip compression failed: zlib error \(status)")
            }
            if produced > 0 { try emit(UnsafeRawBufferPointer(rebasing: output[..<produced])) }
            if finish ? status == Z_STREAM_END : (stream.pointee.avail_in == 0 && produced < output.count) { break }
        }
        stream.pointee.next_in = nil
    }
}
