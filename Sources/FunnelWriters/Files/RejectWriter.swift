import FunnelCore

/// Writes `rejects.ndjson`: one object per skipped line with its source file, line number,
/// reason, detail and the first 512 bytes of the raw line, escaped (SPEC 2).
///
/// The file is replaced atomically at the end of the run, like every other output, so it
/// always describes one complete run.
public final class RejectWriter {
    public static let fileName = "rejects.ndjson"
    private let file: AtomicFile
    public private(set) var count = 0

    public init(folder: String) throws(SinkError) {
        file = try AtomicFile(path: folder + "/" + Self.fileName)
    }

    public func write(_ reject: Reject) throws(SinkError) {
        try file.withBuffer { out in
            reject.appendJSON(to: &out)
            out.append(0x0A)
        }
        count += 1
    }

    /// Flushes and fsyncs the file under its temporary name (`AtomicFile.prepare`).
    public func prepare() throws(SinkError) {
        try file.prepare()
    }

    public func finish() throws(SinkError) {
        try file.commit()
    }
}
