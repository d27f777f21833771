#if canImport(Glibc)
import Glibc
#endif

/// Removes a folder and what it holds, as `rm -rf` would, without a shell: a path with a quote
/// or a `$` in it is removed as named, and nothing else (until 2026-12-05 a backfill ran
/// `rm -rf '<path>'` through `system`). Links are removed, never followed; names are handled
/// as bytes, so one that is not UTF-8 is removed too.
enum FileTree {
    /// Removes `path` (a file, a link or a folder, whole); a missing path is no fault.
    static func remove(_ path: String) throws(PipelineError) {
        try remove(bytes: Array(path.utf8CString))
    }

    /// The names a folder holds (not `.` and `..`), as UTF-8 text; nil if it cannot be read.
    static func names(in folder: String) -> [String]? {
        guard let handle = opendir(folder) else { return nil }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// `path`: NUL-terminated.
    private static func remove(bytes path: [CChar]) throws(PipelineError) {
        func failure() -> PipelineError {
            let shown = String(decoding: path.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return PipelineError("cannot remove \(shown): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw failure()
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            if unlink(path) != 0 && errno != ENOENT { throw failure() }
            return
        }
        guard let folder = opendir(path) else { throw failure() }
        var children: [[CChar]] = []
        while let entry = readdir(folder) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name == [UInt8(ascii: ".")] || name == [UInt8(ascii: "."), UInt8(ascii: ".")] { continue }
            var child = path.dropLast()
            child.append(CChar(bitPattern: UInt8(ascii: "/")))
            child.append(contentsOf: name.map { CChar(bitPattern: $0) })
            child.append(0)
            children.append(Array(child))
        }
        closedir(folder)
        for child in children { try remove(bytes: child) }
        if rmdir(path) != 0 && errno != ENOENT { throw failure() }
    }
}
