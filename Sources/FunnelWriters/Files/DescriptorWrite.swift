#if canImport(Glibc)
import Glibc
#endif

/// Writes a whole buffer to a file descriptor through short writes and interrupted calls: the
/// flat-file outputs (`AtomicFile`) and the run's temporary files write the same way, and
/// each names its own file in the error.
public enum DescriptorWrite {
    /// Writes all of `bytes` at `offset` (`pwrite`), or at the descriptor's position when
    /// `offset` is nil (`write`). Returns nil when all were written, else the `errno` of the
    /// call that failed.
    public static func all(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int? = nil) -> Int32? {
        var done = 0
        while done < bytes.count {
            let from = bytes.baseAddress! + done
            let written = if let offset {
                pwrite(fd, from, bytes.count - done, off_t(offset + done))
            } else {
                write(fd, from, bytes.count - done)
            }
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            done += written
        }
        return nil
    }
}
