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
    /// The last day the pattern fills as it fills for `day` (the month's last day for a
    /// month's file; `day` itself for a daily one): records dated more than a day after it are
    /// said (`ReadStage`). Nil for a file of no day.
    public var lastDay: Int?

    /// What names the file in its lines' positions (`RecordPosition`), so that a line read
    /// again is known and two lines are never taken for one: the path below the folders of its
    /// pattern that hold no wildcard (`logs/*/access-{date}.log` gives `web1/access-….log`
    /// and `web2/access-….log`; `/var/log/nginx/access-*.log` gives the base name); for an
    /// `--input` file, the path as given; for stdin, `-` and a hash of its first line
    /// (`InputPlan`). Until 2026-12-05 every file was named by its base name alone, and two
    /// files of one pattern and day with the same base name had the same positions: the
    /// second's lines were taken for the first's when a visitor was rebuilt.
    public var positionName: String
    /// What a file matched by a path pattern is when it is not a regular file ("a FIFO"): it
    /// is then not opened (a FIFO without a writer would wait for ever) but reported as
    /// unreadable.
    public var notRegular: String?
    /// Matched by a path pattern and a regular file (or a folder) when the run listed it: it is
    /// opened without waiting and refused if it is no longer a file (rv77b: a FIFO put in a
    /// late file's place hung the run in `open` for good). A FIFO given as `--input` (a
    /// process substitution) is read, as before.
    public var listedRegular = false

    /// What names the file in the manifest (`Manifest.key`): its path resolved when the run
    /// listed it, before reading (a link switched during the run does not move the reading
    /// to the file it points to then).
    public var manifestKey: String

    /// The position prefix a run before stored this file's lines under, when its place now
    /// gives another (`Manifest.keptPositions(of:)`): the same lines keep their positions.
    public private(set) var keptPositionPrefix: String?

    /// Names the file's lines as `prefix` (a `positionPrefix` a run before gave it), and the
    /// file by the name in it.
    public mutating func keepPositions(_ prefix: String) {
        keptPositionPrefix = prefix
        if let bar = prefix.firstIndex(of: "|"), prefix.hasSuffix("|"), prefix.index(after: bar) < prefix.endIndex {
            positionName = String(prefix[prefix.index(after: bar)..<prefix.index(before: prefix.endIndex)])
        }
    }

    public init(path: String, source: Pipeline.Source) {
        self.path = path
        self.source = source
        positionName = RecordPosition.fileName(of: path)
        manifestKey = path
    }

    /// The part of every line's position that names this file (see `RecordPosition.prefix`);
    /// the reader makes it once and adds each line's number with `RecordPosition.make(prefix:line:)`.
    public var positionPrefix: String {
        keptPositionPrefix ?? RecordPosition.prefix(source: sourceIndex, pattern: patternIndex, day: day, name: positionName)
    }
}
