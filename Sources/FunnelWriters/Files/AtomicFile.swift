#if canImport(Glibc)
import Glibc
#endif
import FunnelCore

/// A file written under a temporary name and renamed over its final name when complete
/// (SPEC 8.2): a crash leaves the old file or the new one, never half of one.
///
/// The data is fsynced before the rename and the folder after it, so a power cut cannot
/// expose a renamed but empty file either.
public final class AtomicFile {
    public let path: String
    private let temporaryPath: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    private let flushThreshold = 1 << 20
    private var finished = false
    /// Bytes written to the file, and where the last `Writeback` started: every
    /// `writebackBytes` written are sent on their way to the disk while the run goes on.
    private var bytesWritten = 0
    private var writebackStart = 0
    private static let writebackBytes = 8 << 20
    /// With `gzip`, what reaches the file is the buffer's bytes compressed (`GzipDeflater`).
    private let deflater: GzipDeflater?

    /// - Parameter gzip: write one gzip member of what is appended, named `path` + `.gz`
    ///   (`path` then says where it is); nothing else changes: the temporary name, the rename,
    ///   the syncs.
    public init(path: String, gzip: Bool = false) throws(SinkError) {
        deflater = gzip ? try GzipDeflater() : nil
        let path = gzip ? path + ".gz" : path
        self.path = path
        temporaryPath = path + ".tmp-\(getpid())"
        Self.removeStaleTemporaries(of: path)
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SinkError("cannot create \(temporaryPath): \(String(cString: strerror(errno)))") }
        buffer.reserveCapacity(flushThreshold + 65536)
    }

    deinit {
        if !finished {
            close(fd)
            unlink(temporaryPath)
        }
    }

    /// Removes `<name>.tmp-<pid>` files whose process is gone: a run killed with SIGKILL or by
    /// a power cut cannot remove its own, and nightly runs would pile them up. A file of a
    /// process still running (another run writing the same folder) is left alone.
    private static func removeStaleTemporaries(of path: String) {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[..<$0]) } ?? "."
        let prefix = (slash.map { String(path[path.index(after: $0)...]) } ?? path) + ".tmp-"
        guard let dir = opendir(folder.isEmpty ? "/" : folder) else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.hasPrefix(prefix), let pid = Int32(name.dropFirst(prefix.count)), pid > 0, pid != getpid() else { continue }
            if ProcessLiveness.isGone(pid) { unlink(folder + "/" + name) }
        }
    }

    /// Appends bytes; they reach the disk in large writes.
    public func append(_ bytes: some Sequence<UInt8>) throws(SinkError) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= flushThreshold { try flush() }
    }

    /// Gives direct access to the pending buffer, for writers that build output in place.
    public func withBuffer(_ body: (inout [UInt8]) -> Void) throws(SinkError) {
        body(&buffer)
        if buffer.count >= flushThreshold { try flush() }
    }

    /// Writes the buffer (compressed, with `gzip`; `finish` ends the gzip member) and empties it.
    private func flush(finish: Bool = false) throws(SinkError) {
        var failure: SinkError?
        buffer.withUnsafeBytes { raw in
            do throws(SinkError) {
                if let deflater {
                    try deflater.compress(raw, finish: finish) { piece throws(SinkError) in try writeAll(piece) }
                } else {
                    try writeAll(raw)
                }
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        buffer.removeAll(keepingCapacity: true)
    }

    /// `SinkError.fullDiskHint` for a write that failed for want of room, else nothing.
    private static func roomHint(_ code: Int32) -> String {
        code == ENOSPC || code == EDQUOT ? SinkError.fullDiskHint : ""
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws(SinkError) {
        if let code = DescriptorWrite.all(fd, bytes) {
            throw SinkError("cannot write \(temporaryPath): \(String(cString: strerror(code)))\(Self.roomHint(code))")
        }
        bytesWritten += bytes.count
        if bytesWritten - writebackStart >= Self.writebackBytes {
            Writeback.start(fd, offset: writebackStart, count: bytesWritten - writebackStart)
            writebackStart = bytesWritten
        }
    }

    /// Flushes, fsyncs, renames over the final name and fsyncs the folder.
    public func commit() throws(SinkError) {
        try flush(finish: true)
        guard fsync(fd) == 0 else {
            let code = errno
            throw SinkError("cannot sync \(temporaryPath): \(String(cString: strerror(code)))\(Self.roomHint(code))")
        }
        close(fd)
        finished = true
        guard rename(temporaryPath, path) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw SinkError("cannot rename \(temporaryPath) to \(path): \(message)")
        }
        let folder = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let folderFD = open(folder.isEmpty ? "/" : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folderFD >= 0 {
            fsync(folderFD)
            close(folderFD)
        }
    }
}
