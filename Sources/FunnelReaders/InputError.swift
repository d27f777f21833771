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
    }

    public var description: String { "cannot read input \(path): \(reason)" }
}
