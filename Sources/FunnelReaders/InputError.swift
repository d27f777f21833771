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

    /// An input refused for what it is (`reason`, "it is a FIFO (a pipe), not a file").
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
        outOfDescriptors = false
    }

    public var description: String { "cannot read input \(path): \(reason)" }
}
