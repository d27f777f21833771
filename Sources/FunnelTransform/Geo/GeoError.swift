/// A MaxMind DB that cannot be used, found when it is opened. The message names the file,
/// says what is wrong in libmaxminddb's words and what to do about it.
public struct GeoError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// Nothing at the path.
        case missing
        /// The file is there but cannot be read: a folder, permissions, an I/O error.
        case unreadable
        /// Not a MaxMind DB at all (often a `.tar.gz` or `.mmdb.gz` not yet unpacked).
        case notMaxMindDB
        /// A MaxMind DB whose search tree or data is damaged.
        case corrupt
    }

    public var kind: Kind
    public var path: String
    /// libmaxminddb's (or the system's) own words, for summaries.
    public var reason: String
    public var message: String

    init(_ kind: Kind, path: String, reason: String, problem: String, remedy: String) {
        self.kind = kind
        self.path = path
        self.reason = reason
        message = "GeoIP database '\(path)' \(problem) (\(reason)); \(remedy)"
    }

    public var description: String { message }
}
