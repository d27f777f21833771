#if canImport(Glibc)
import Glibc
#endif

/// The process environment as a dictionary, read where it is needed (REDIS_PASSWORD, and the
/// environment handed to child processes) without Foundation.
public enum ProcessEnvironment {
    public static func current() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }
}
