#if canImport(Glibc)
import Glibc
#endif

/// A symbolic link's target as written in the link, for the messages and path walks that
/// need it (an input or output folder that is a link to nothing is said as one, and
/// `--summary-json` follows a chain of links to the file it replaces).
public enum SymbolicLink {
    /// Where the link at `path` points, or nil when `path` is no link.
    public static func target(of path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
