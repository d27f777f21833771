#if canImport(Glibc)
import Glibc
#endif

/// Whether the process that left a file or a lock behind is gone, so that what it left can
/// be taken over (`AtomicFile`'s stale temporaries, the Redis run lock of a run on this host).
public enum ProcessLiveness {
    /// True when `pid` names no process, or a zombie: a process killed but not yet reaped
    /// still answers `kill(pid, 0)`, and in a container whose first process does not reap
    /// (a cron job in Docker without an init) a killed run stays one until the container
    /// ends. Until 2026-12-05 such a run's lock refused every run after it ("holds the lock")
    /// and its temporary files stayed (a review saw both).
    public static func isGone(_ pid: pid_t) -> Bool {
        if kill(pid, 0) != 0 { return errno == ESRCH }
        return state(of: pid) == UInt8(ascii: "Z")
    }

    /// True, besides `isGone(pid)`, when the process `pid` names now started at another time
    /// than `startTime` (`startTime(of:)` when the holder wrote it): its number was given to
    /// another process (a review on 2026-12-05's night left a Redis run lock naming the pid of a live
    /// process, and every run was refused for up to a day).
    public static func isGone(_ pid: pid_t, startedAt startTime: UInt64) -> Bool {
        // A start time that cannot be read (a `/proc` mounted `hidepid`, systemd's
        // `ProtectProc=invisible`) leaves the process as `isGone` finds it: alive (until a
        // review, a live run's lock was taken over so).
        isGone(pid) || Self.startTime(of: pid).map { $0 != startTime } ?? false
    }

    /// When the process started, in clock ticks after boot (`/proc/<pid>/stat`'s 22nd field):
    /// with its pid, what names a process for as long as the machine is up.
    public static func startTime(of pid: pid_t) -> UInt64? {
        guard let fields = statFields(of: pid), fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    /// The state letter of `/proc/<pid>/stat`; nil when it cannot be read.
    static func state(of pid: pid_t) -> UInt8? {
        statFields(of: pid)?.first?.utf8.first
    }

    /// The fields of `/proc/<pid>/stat` after the command name (which may hold spaces and
    /// parentheses: the last `)` ends it), the state first; nil when it cannot be read.
    private static func statFields(of pid: pid_t) -> [Substring]? {
        let fd = open("/proc/\(pid)/stat", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0, let nameEnd = buffer[..<count].lastIndex(of: UInt8(ascii: ")")), nameEnd + 2 < count else { return nil }
        return String(decoding: buffer[(nameEnd + 2)..<count], as: UTF8.self).split(separator: " ")
    }
}
