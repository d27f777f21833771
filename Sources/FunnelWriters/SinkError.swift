#if canImport(Glibc)
import Glibc
#endif

/// A sink that could not do its work. The message names what failed and what to check; it
/// never carries a password.
public struct SinkError: Error, CustomStringConvertible, Sendable {
    public var message: String

    /// The code of the error reply Redis refused a command with (`NOPERM`, `OOM`), when that
    /// is the failure: callers that act on a kind of refusal ask it, not the message's words
    /// (rv70b: `NOPERM` was found in the text).
    public var redisRefusal: String?

    /// Whether Redis refused the command itself: for want of permission (`NOPERM`), or as a
    /// command it does not know (`rename-command` in redis.conf renames or disables one). An
    /// optional step (the history's key filter's `INFO` and `SCAN`, `HSCAN`, `MGET`, `MSET`)
    /// is then done without it; rv76b: a renamed `INFO` or `SCAN` failed the history, where
    /// an ACL's refusal of the same command turned the step off.
    public var commandUnavailable = false

    /// The failure is a damaged history (SQLite's "file is not a database", "database disk
    /// image is malformed"): a re-run cannot mend it, so the run exits 1, not 3, wherever it
    /// was met (rv77a: met while reading, it was exit 3, which operations.md says to re-run).
    public var historyDamaged = false

    public init(_ message: String) { self.message = message }

    /// A failure whose cause is Redis's error `reply` (its first word is its code).
    public init(_ message: String, redisReply reply: String) {
        self.message = message
        redisRefusal = String(reply.prefix { $0 != " " })
        commandUnavailable = redisRefusal == "NOPERM" || RedisError.isUnknownCommand(reply)
    }

    public var description: String { message }

    /// What a message says to do when the disk is full (a file's ENOSPC or EDQUOT, the
    /// history's SQLITE_FULL): a file not written whole leaves the old one under its name, and
    /// the history's transaction is rolled back, so the same days run again once there is
    /// room (docs/operations.md, "A full disk").
    public static let fullDiskHint = "; free space on that disk and run the same days again"
    /// What to do about a write past the process's file size limit (EFBIG): no folder has
    /// more room under it (rv70d: the scratch's said to set TMPDIR).
    /// What to do when the process is out of file descriptors (EMFILE, ENFILE): no folder is
    /// the remedy (rv70d: under `ulimit -n 7` an output's temporary file said only "Too many
    /// open files", and the history's "unable to open database file").
    public static let outOfDescriptorsHint = "raise the limit of open files (ulimit -n; 1024 is usual): a run holds its input files and about 17 of its own"
    /// Whether `code` (an errno) says the process or the system is out of file descriptors.
    public static func isOutOfDescriptors(_ code: Int32) -> Bool { code == EMFILE || code == ENFILE }
    /// ` (outOfDescriptorsHint)` to end a message with when `code` (an errno) says the process
    /// is out of descriptors, else nothing.
    public static func descriptorsRemedy(_ code: Int32) -> String { isOutOfDescriptors(code) ? " (\(outOfDescriptorsHint))" : "" }
    public static let fileSizeLimitHint = "; the process's file size limit (ulimit -f) is reached: raise it and run the same days again"
}
