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
        if code == ENOENT, let target = Self.linkTarget(path) {
            reason = "it is a symbolic link to \(target), which leads to no file"
        }
    }

    /// Where the link at `path` points, or nil when `path` is no link.
    public static func linkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public var description: String { "cannot read input \(path): \(reason)" }
}
