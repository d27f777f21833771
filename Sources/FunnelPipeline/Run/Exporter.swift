import FunnelWriters

/// `funnel export`: the whole current state of a flat-file sink's history as one
/// `sessions.ndjson`, ordered by (`created_at`, `session_id`): what a single run over every day
/// loaded so far would write (SPEC 10).
public enum Exporter {
    /// Writes `<folder>/sessions.ndjson` from the history in `historyFolder`; returns the count.
    public static func export(historyFolder: String, to folder: String) throws(PipelineError) -> Int {
        guard PipelineLoader.readText(historyFolder + "/" + SQLiteHistoryStore.fileName) != nil else {
            throw PipelineError("no history in \(historyFolder): run the pipeline with a flat-file sink first")
        }
        try Runner.makeFolder(folder)
        do {
            let store = try SQLiteHistoryStore(folder: historyFolder)
            let file = try AtomicFile(path: folder + "/" + NDJSONSessionWriter.fileName)
            let count = try store.appendAllSessions(to: file)
            try file.commit()
            return count
        } catch {
            throw PipelineError("export from \(historyFolder): \(error.message)")
        }
    }
}
