/// A pipeline that cannot run as written (exit status 1). The message names the file, the key
/// and what to write instead.
public struct PipelineError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) { self.description = description }
}
