/// One file to read and how: the source it belongs to (format, cookies, dialect).
public struct InputFile: Sendable {
    public var path: String
    public var source: Pipeline.Source

    public init(path: String, source: Pipeline.Source) {
        self.path = path
        self.source = source
    }
}
