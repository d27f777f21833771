import FunnelCore
#if canImport(Glibc)
import Glibc
#endif

/// An input that cannot be opened at all.
public struct InputError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String
    /// The process was out of descriptors (EMFILE, ENFILE): the machine's refusal, not the
    /// input's fault.
    public var outOfDescriptors: Bool

    public init(path: String, errno code: Int32) {
        self.path = path
        reason = String(cString: strerror(code))
        outOfDescriptors = code == EMFILE || code == ENFILE
        // A link whose target is gone is listed by `ls`: "No such file or directory" of a
        // name the user sees read as funnel's fault (rv74a).
        if code == ENOENT, let target = SymbolicLink.target(of: path) {
            reason = "it is a symbolic link to \(target), which leads to no file"
        }
    }

    /// An input refused for what it is, `kind` a `nonFileKind`: "it is a FIFO (a pipe), not a
    /// file", as the listing and the open both say it.
    public init(path: String, notAFile kind: String) {
        self.path = path
        reason = "it is \(kind), not a file"
        outOfDescriptors = false
    }

    /// What a file of `mode` that is neither a regular file nor a folder is ("a FIFO (a
    /// pipe)", "a socket", "a device"); nil for a regular file or a folder. The listing
    /// (`FileIdentity`) and the open (`InputStream`) name it alike.
    public static func nonFileKind(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG, S_IFDIR: nil
        case S_IFIFO: "a FIFO (a pipe)"
        case S_IFSOCK: "a socket"
        default: "a device"
        }
    }

    public var description: String { "cannot read input \(path): \(reason)" }
}
