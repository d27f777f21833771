/// What the command line adds to a pipeline file for one run (SPEC 9). Nil means "as the
/// pipeline file says".
public struct RunOptions: Sendable {
    public enum Progress: String, Sendable, CaseIterable {
        case auto, always, never
    }

    /// Days whose `{date}` paths are read; empty when the run names no date.
    public var days: [Day] = []
    /// `--input`: replaces the sources' paths.
    public var inputs: [String] = []
    /// `--input-kind`: how to read `--input` files; nil sniffs each file's first line.
    public var inputKind: Pipeline.Source.Kind?
    public var sink: Pipeline.SinkKind?
    public var output: String?
    public var redisURL: String?
    /// Read and transform, write nothing.
    public var dryRun = false
    public var maxRejectRate: Double?
    public var progress: Progress = .auto
    public var summaryJSON: String?
    /// Prometheus text file for node_exporter's textfile collector.
    public var metricsFile: String?
    public var environment: [String: String] = [:]
    /// `--chunk-records`: records held before visitors the input has passed are flushed
    /// (`Runner.defaultChunkRecords` when nil). Lower uses less memory, higher rebuilds fewer
    /// visitors that span a flush; the output is the same either way.
    public var chunkRecords: Int?
    /// The manifest's file name in the output folder: a Redis `backfill --rebuild` keeps the
    /// staging history's own (`Manifest.rebuildFileName`), switched in with it.
    var manifestFile = Manifest.fileName
    /// The token of a flat-file run's pending manifest (`PendingManifest`): a run draws its
    /// own; a test names it, to find the file the run writes.
    var manifestToken: String?
    /// The output folder's lock is held by the caller (a Redis rebuild, for all its days): the
    /// run takes only the Redis lock.
    var folderLockHeld = false

    public init() {}

    /// The days from `from` to `to`, both included.
    public static func days(from: Day, to: Day) throws(PipelineError) -> [Day] {
        guard from <= to else { throw PipelineError("--from \(from) is after --to \(to)") }
        guard to.number - from.number < 36_600 else { throw PipelineError("the range \(from) to \(to) is longer than a century") }
        return (from.number...to.number).map(Day.init(number:))
    }
}
