#if canImport(Glibc)
import Glibc
#endif

/// Small file helpers for tests, without Foundation.
public enum TestFiles {
    /// A new empty folder under the system's temporary folder.
    public static func temporaryFolder(_ label: String = "funnel-test") -> String {
        var template = Array("/tmp/\(label)-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    public static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[..<count])
        }
        return bytes
    }

    public static func readText(_ path: String) -> String? {
        read(path).map { String(decoding: $0, as: UTF8.self) }
    }

    public static func write(_ path: String, _ bytes: some Sequence<UInt8>) {
        let data = Array(bytes)
        guard let file = fopen(path, "wb") else { fatalError("cannot write \(path)") }
        _ = data.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        fclose(file)
    }

    public static func write(_ path: String, _ text: String) {
        write(path, Array(text.utf8))
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Removes a folder tree (test output only).
    public static func remove(_ path: String) {
        _ = system("rm -rf '\(path)'")
    }

    /// Gzips `text` with the system's gzip into `path` (real gzip files, as fixtures are).
    public static func gzip(_ text: String, to path: String, append: Bool = false) {
        let plain = path + ".plain"
        write(plain, text)
        let status = system("gzip -n -c '\(plain)' \(append ? ">>" : ">") '\(path)' && rm -f '\(plain)'")
        precondition(status == 0, "gzip failed for \(path)")
    }
}
