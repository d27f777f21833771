#if canImport(Glibc)
import Glibc
#endif
import FunnelWriters

/// `funnel export`: the whole current state of a flat-file sink's history as one
/// `sessions.ndjson`, ordered by (`created_at`, `session_id`): what a single run over every day
/// loaded so far would write (SPEC 10).
public enum Exporter {
    /// Writes `<folder>/sessions.ndjson` from the history in `historyFolder`; returns the count.
    ///
    /// The history's file is looked for, not read, to know it is there: a history of months
    /// is larger than memory.
    public static func export(historyFolder: String, to folder: String) throws(PipelineError) -> Int {
        let path = historyFolder + "/" + SQLiteHistoryStore.fileName
        guard access(path, F_OK) == 0 else {
            throw PipelineError("no history in \(historyFolder): run the pipeline with a flat-file sink first")
        }
        try Runner.makeFolder(folder)
        do {
            let file = try AtomicFile(path: folder + "/" + NDJSONSessionWriter.fileName)
            let count = try SQLiteHistoryStore.appendAllSessions(ofHistoryAt: path, to: file)
            try file.commit()
            return count
        } catch {
            throw PipelineError("export from \(historyFolder): \(error.message)")
        }
    }
}
