import FunnelReaders
#if canImport(Glibc)
import Glibc
#endif

/// A file as the system knows it (device and inode), whatever path names it: two paths of one
/// file are one input (`InputPlan`).
struct FileIdentity: Hashable {
    let device: UInt64
    let inode: UInt64

    /// What one `stat` of `path` (its links followed) tells: the file's identity, and what it
    /// is when it is neither a regular file nor a folder ("a FIFO (a pipe)", "a socket", "a
    /// device"). Nil when it cannot be looked at (opening it says why).
    static func look(_ path: String) -> (identity: FileIdentity, notRegular: String?)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return (FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)), InputError.nonFileKind(info.st_mode))
    }
}
