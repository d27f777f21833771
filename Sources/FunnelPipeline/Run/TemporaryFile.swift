#if canImport(Glibc)
import Glibc
#endif
import FunnelWriters

/// A file for the run's own use that has no name in its folder (Linux's `O_TMPFILE`; where
/// the file system cannot make one, a named file unlinked as soon as it is made): it lives
/// while this object holds it open, and nothing of it survives the process, however the run
/// ends. Appends go through a buffer and come back by offset (`read`), which sees every byte
/// appended so far.
///
/// Its folder is SQLite's temporary folder (`$SQLITE_TMPDIR`, `$TMPDIR`, else `/var/tmp`,
/// `/usr/tmp` or `/tmp`, the first that is a writable folder), where the run's scratch was
/// kept while it was a SQLite database: the operations guide's advice on disk space holds.
final class TemporaryFile {
    /// What the file holds, for messages ("the run's sessions").
    let purpose: String
    /// The folder it was made in, for messages.
    private let folder: String
    private let fd: Int32
    /// Bytes appended, the buffered ones included: the offset of the next append.
    private(set) var size = 0
    /// Appends not yet written; allocated at the first append, freed by `seal`.
    private var buffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    private var buffered = 0
    private let bufferBytes: Int

    /// `folder`: where to make it, instead of `folder()`'s choice (tests).
    init(purpose: String, bufferBytes: Int = 1 << 20, folder: String? = nil) throws(SinkError) {
        self.purpose = purpose
        let folder = folder ?? Self.folder()
        self.folder = folder
        var fd = UnnamedFile.open(in: folder)
        if fd < 0 {
            // A crash between `mkstemp` and `unlink` would leave an empty file behind.
            var template = Array((folder + "/funnel-scratch-XXXXXX").utf8CString)
            fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            if fd >= 0 { template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) } }
        }
        guard fd >= 0 else {
            let code = errno
            // Out of descriptors, TMPDIR is not the remedy (a review under `ulimit -n 64`).
            let remedy = SinkError.isOutOfDescriptors(code) ? SinkError.outOfDescriptorsHint : "set TMPDIR to a writable folder with room"
            throw SinkError("cannot make a temporary file for \(purpose) in \(folder): \(String(cString: strerror(code))) (\(remedy))")
        }
        self.fd = fd
        self.bufferBytes = bufferBytes
    }

    deinit {
        close(fd)
        buffer.deallocate()
    }

    /// Writes what is buffered and frees the buffer: a file written once and then only read
    /// (a sorted run) holds no memory while it waits. A later append allocates it again.
    func seal() throws(SinkError) {
        try flush()
        buffer.deallocate()
        buffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    }

    /// The first of SQLite's candidates for temporary files that is a folder this process
    /// may write to; `environment` reads a variable (the process's, unless a test says).
    static func folder(environment: (String) -> String? = { name in getenv(name).map { String(cString: $0) } }) -> String {
        var candidates: [String] = []
        for name in ["SQLITE_TMPDIR", "TMPDIR"] {
            if let value = environment(name), !value.isEmpty { candidates.append(value) }
        }
        candidates += ["/var/tmp", "/usr/tmp", "/tmp"]
        for folder in candidates {
            var info = stat()
            if stat(folder, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, access(folder, W_OK | X_OK) == 0 { return folder }
        }
        return "."
    }

    /// Appends `bytes`; returns the offset they start at.
    @discardableResult
    func append(_ bytes: UnsafeRawBufferPointer) throws(SinkError) -> Int {
        let offset = size
        if buffer.baseAddress == nil { buffer = .allocate(byteCount: bufferBytes, alignment: 16) }
        if buffered + bytes.count > buffer.count { try flush() }
        if bytes.count > buffer.count {
            try writeAll(bytes)
        } else if let base = bytes.baseAddress {
            (buffer.baseAddress! + buffered).copyMemory(from: base, byteCount: bytes.count)
            buffered += bytes.count
        }
        size += bytes.count
        return offset
    }

    /// Appends `bytes`; returns the offset they start at.
    @discardableResult
    func append(_ bytes: [UInt8]) throws(SinkError) -> Int {
        var failure: SinkError?
        let offset = bytes.withUnsafeBytes { raw -> Int in
            do throws(SinkError) { return try append(raw) } catch { failure = error; return 0 }
        }
        if let failure { throw failure }
        return offset
    }

    /// Writes what the buffer holds to the file.
    func flush() throws(SinkError) {
        guard buffered > 0 else { return }
        try writeAll(UnsafeRawBufferPointer(rebasing: buffer[0..<buffered]))
        buffered = 0
    }

    /// Fills `into` from `offset` on, or as much of it as the file holds from there; returns
    /// the bytes read.
    func read(at offset: Int, into: UnsafeMutableRawBufferPointer) throws(SinkError) -> Int {
        if buffered > 0 && offset + into.count > size - buffered { try flush() }
        var done = 0
        while done < into.count {
            let got = pread(fd, into.baseAddress! + done, into.count - done, off_t(offset + done))
            if got < 0 {
                if errno == EINTR { continue }
                throw SinkError("cannot read the temporary file of \(purpose) in \(folder): \(String(cString: strerror(errno)))")
            }
            if got == 0 { break }
            done += got
        }
        return done
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws(SinkError) {
        if let code = DescriptorWrite.all(fd, bytes, at: size - buffered) {
            let hint = code == EFBIG ? SinkError.fileSizeLimitHint : " (set TMPDIR to a folder with room)"
            throw SinkError("cannot write the temporary file of \(purpose) in \(folder): \(String(cString: strerror(code)))\(hint)")
        }
    }
}
