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

    /// Every folder under `fixtures/` that holds a `pipeline.yaml`, sorted by name.
    public static var all: [FixtureCase] {
        let root = repositoryRoot + "/fixtures"
        guard let dir = opendir(root) else { return [] }
        defer { closedir(dir) }
        var cases: [FixtureCase] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard !name.hasPrefix(".") else { continue }
            let folder = root + "/" + name
            if access(folder + "/pipeline.yaml", R_OK) == 0 { cases.append(FixtureCase(name: name, folder: folder)) }
        }
        return cases.sorted { $0.name < $1.name }
    }
}
