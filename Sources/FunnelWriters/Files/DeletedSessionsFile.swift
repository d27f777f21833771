import FunnelCore

/// `deleted.ndjson`: `{"session_id":"..."}` per session a run removed, written atomically with
/// the run's other files. It exists (possibly empty) after every run of a flat-file sink, so
/// a loader can always apply it.
public final class DeletedSessionsFile {
    public static let fileName = "deleted.ndjson"
    private let file: AtomicFile

    public init(folder: String) throws(SinkError) {
        file = try AtomicFile(path: folder + "/" + Self.fileName)
    }

    public func append(_ ids: [String]) throws(SinkError) {
        for id in ids {
            try file.withBuffer { out in
                out.append(contentsOf: #"{"session_id":"#.utf8)
                JSONText.appendString(id, to: &out)
                out.append(contentsOf: "}\n".utf8)
            }
        }
    }

    /// Flushes and fsyncs it under its temporary name (`AtomicFile.prepare`).
    public func prepare() throws(SinkError) {
        try file.prepare()
    }

    public func commit() throws(SinkError) {
        try file.commit()
    }
}
