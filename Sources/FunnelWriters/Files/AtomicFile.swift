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
    /// Flushed and fsynced under the temporary name (`prepare`); nothing more may be appended.
    private var prepared = false
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
        // Made anew, never opened through what the name holds: a link planted at the
        // temporary name (its pid guessed, or one of thousands) was followed, and the file it
        // pointed to overwritten with the run's sessions, then put in place as the link
        // (rv73g). The name is removed first; one that comes back is refused (`O_EXCL`).
        unlink(temporaryPath)
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let code = errno
            throw SinkError("cannot create \(temporaryPath): \(String(cString: strerror(code)))\(SinkError.descriptorsRemedy(code))")
        }
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
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        removeStaleTemporaries(inFolder: folder.isEmpty ? "/" : folder, ofNames: { $0 == name })
    }

    /// Removes the temporaries (`<name>.tmp-<pid>`) in `folder` of the names `ofNames` accepts
    /// whose process is gone. One of this process's pid is left alone, unless
    /// `includingOwnPid`: a caller that knows it has none of its own there (it has not begun
    /// writing them) takes it for another process's that had the pid before, as in a container
    /// whose funnel always has one pid (`PendingManifest`, whose names change every run).
    public static func removeStaleTemporaries(inFolder folder: String, ofNames: (String) -> Bool, includingOwnPid: Bool = false) {
        guard let dir = opendir(folder) else { return }
        defer { closedir(dir) }
        let tag = Array(".tmp-".utf8)
        while let entry = readdir(dir) {
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            guard bytes.count > tag.count,
                  let at = (0...(bytes.count - tag.count)).last(where: { bytes[$0..<$0 + tag.count].elementsEqual(tag) }),
                  ofNames(String(decoding: bytes[..<at], as: UTF8.self)),
                  let pid = Int32(String(decoding: bytes[(at + tag.count)...], as: UTF8.self)), pid > 0 else { continue }
            if pid == getpid() ? includingOwnPid : ProcessLiveness.isGone(pid) {
                unlink(folder + "/" + String(decoding: bytes, as: UTF8.self))
            }
        }
    }

    /// Gives `path` (a file or folder of this run's, about to be renamed over `replaced`) the
    /// mode and group of the regular file or folder at `replaced`, if there is one: what an
    /// operator gave it (0640 for a loader's group, a folder closed to others) stays (rv73g:
    /// a replaced file came back 0644, and a rebuilt folder 0755). The mode only where the group
    /// is given too: 0640 under another group shuts out the one it was for (rv73j).
    public static func keepMode(of replaced: String, for path: String) {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return }
        keepMode(of: replaced, onto: fd)
        close(fd)
    }

    /// `keepMode(of:for:)` onto an open file or folder: the mode only with the group, as 0640
    /// under the run's own group shuts the loader's group out (rv73j: a run not in that group).
    private static func keepMode(of replaced: String, onto fd: Int32) {
        var status = stat()
        var own = stat()
        guard lstat(replaced, &status) == 0, [S_IFREG, S_IFDIR].contains(status.st_mode & S_IFMT), fstat(fd, &own) == 0,
              own.st_mode & S_IFMT == status.st_mode & S_IFMT,
              own.st_gid == status.st_gid || fchown(fd, uid_t.max, status.st_gid) == 0 else { return }
        _ = fchmod(fd, status.st_mode & 0o7777)
    }

    /// Fsyncs `folder`, so that a rename in it survives a power cut.
    public static func syncFolder(_ folder: String) {
        let folderFD = open(folder.isEmpty ? "/" : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folderFD >= 0 {
            fsync(folderFD)
            close(folderFD)
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
        code == ENOSPC || code == EDQUOT ? SinkError.fullDiskHint : code == EFBIG ? SinkError.fileSizeLimitHint : ""
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

    /// Writes `bytes` whole as the file at `path` (temporary name, fsync, rename): the small
    /// files a run keeps beside its outputs (state, markers, counts, the summary and metrics).
    public static func write(_ bytes: some Sequence<UInt8>, to path: String) throws(SinkError) {
        let file = try AtomicFile(path: path)
        try file.append(bytes)
        try file.commit()
    }

    /// Flushes and fsyncs the file under its temporary name, without putting it in place:
    /// the writes that can fail for want of room are done. A run prepares every output file
    /// before it renames any, so a disk that fills leaves every previous file as it was (until
    /// 2026-12-06 the sessions file went in place first, and a disk that filled at the rejects
    /// left the new sessions beside the previous run's rejects; rv70d). Once is enough.
    public func prepare() throws(SinkError) {
        guard !prepared else { return }
        try flush(finish: true)
        guard fsync(fd) == 0 else {
            let code = errno
            throw SinkError("cannot sync \(temporaryPath): \(String(cString: strerror(code)))\(Self.roomHint(code))")
        }
        prepared = true
    }

    /// Prepares the file (flush, fsync) unless done, renames it over the final name and fsyncs
    /// the folder.
    public func commit() throws(SinkError) {
        try prepare()
        // The file it replaces keeps its mode and group (rv73g: a sessions file an operator
        // made 0640 for a loader's group came back 0644, the group's access gone). A link at
        // the final name is replaced, not followed: its own mode says nothing.
        Self.keepMode(of: path, onto: fd)
        close(fd)
        finished = true
        guard rename(temporaryPath, path) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw SinkError("cannot rename \(temporaryPath) to \(path): \(message)")
        }
        Self.syncFolder(path.lastIndex(of: "/").map { String(path[..<$0]) } ?? ".")
    }
}
