#if canImport(Glibc)
import Glibc
#endif

/// A golden fixture: `fixtures/<name>/` with inputs, `pipeline.yaml` and `expected/`.
public struct FixtureCase: Sendable, CustomStringConvertible {
    public let name: String
    public let folder: String

    public var description: String { name }
    public var pipelinePath: String { folder + "/pipeline.yaml" }
    public var expectedFolder: String { folder + "/expected" }

    /// The repository's root, found from this source file's place in `Tests/`.
    public static let repositoryRoot: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path
    }()

    /// Every folder under `fixtures/` that holds a `pipeline.yaml`, sorted by name. No
    /// `fixtures/` folder, or none with a pipeline file, stops the tests: an empty list would
    /// make every fixture-driven test pass with no case run (Swift Testing skips a test without
    /// arguments; a review saw the golden tests pass in 0.001 s with the folder moved aside).
    /// `FixtureListTests` checks that no folder is left out for want of its pipeline file.
    public static var all: [FixtureCase] {
        let root = repositoryRoot + "/fixtures"
        let cases = folders.filter { access(root + "/" + $0 + "/pipeline.yaml", R_OK) == 0 }.map { FixtureCase(name: $0, folder: root + "/" + $0) }
        precondition(!cases.isEmpty, "no fixture with a pipeline.yaml under \(root): the golden tests would check nothing")
        return cases
    }

    /// The names of the folders under `fixtures/`, sorted, whether or not they hold a
    /// pipeline file.
    public static var folders: [String] {
        let root = repositoryRoot + "/fixtures"
        guard let dir = opendir(root) else { fatalError("no fixtures at \(root): the golden tests would check nothing") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            var info = stat()
            guard !name.hasPrefix("."), stat(root + "/" + name, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { continue }
            names.append(name)
        }
        return names.sorted()
    }
}
