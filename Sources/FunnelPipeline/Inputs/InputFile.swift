import FunnelCore

/// One file to read and how: the source it belongs to (format, cookies, dialect).
public struct InputFile: Sendable {
    public var path: String
    public var source: Pipeline.Source
    /// Index of the source in the pipeline file (`--input` files count from 999).
    public var sourceIndex = 0
    /// Index of the path pattern in the source.
    public var patternIndex = 0
    /// The day whose `{date}` filled the pattern, as days since 1970-01-01.
    public var day: Int?

    public init(path: String, source: Pipeline.Source) {
        self.path = path
        self.source = source
    }

    /// The part of every line's position that names this file (see `RecordPosition.prefix`);
    /// the reader makes it once and adds each line's number with `RecordPosition.make(prefix:line:)`.
    public var positionPrefix: String {
        RecordPosition.prefix(source: sourceIndex, pattern: patternIndex, day: day, path: path)
    }
}
