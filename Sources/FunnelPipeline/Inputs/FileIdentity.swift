#if canImport(Glibc)
import Glibc
#endif

/// A file as the system knows it (device and inode), whatever path names it: two paths of one
/// file are one input (`InputPlan`).
struct FileIdentity: Hashable {
    let device: UInt64
    let inode: UInt64

    /// Nil when `path` (its links followed) cannot be looked at.
    init?(_ path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }

    /// What `path` (its links followed) is when it is neither a regular file nor a folder
    /// ("a FIFO", "a device", "a socket"); nil for those and for a path that cannot be looked
    /// at (opening it says why).
    static func notRegular(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG, S_IFDIR: return nil
        case S_IFIFO: return "a FIFO (a pipe)"
        case S_IFSOCK: return "a socket"
        default: return "a device"
        }
    }
}
