#if canImport(Glibc)
import Glibc
#endif
import FunnelWriters

/// `funnel export`: the whole current state of a flat-file sink's history as one file,
/// ordered by (`created_at`, `session_id`): what a single run over every day loaded so far
/// would write (SPEC 10). A nightly run's file holds only the sessions it changed, and a
/// backfill's days each replace it, so this is how a `redis.resp` or `sessions.csv` of
/// everything is made again.
public enum Exporter {
    /// Writes `<folder>/sessions.ndjson` (or, with `kind`, `sessions.csv` or `redis.resp`,
    /// laid out by `pipeline`'s schema, slots, key prefix and TTL) from the history in
    /// `historyFolder`; returns the count and the file's path.
    ///
    /// The history's file is looked for, not read, to know it is there: a history of months
    /// is larger than memory. Its sessions are kept as their `sessions.ndjson` lines, which
    /// NDJSON export copies; the other kinds read each back (`SessionBody`) and write it again.
    @discardableResult
    public static func export(historyFolder: String, to folder: String, kind: Pipeline.SinkKind = .ndjson,
                              pipeline: Pipeline? = nil) throws(PipelineError) -> (count: Int, path: String) {
        let path = historyFolder + "/" + SQLiteHistoryStore.fileName
        guard access(path, F_OK) == 0 else {
            throw PipelineError("no history in \(historyFolder): export reads the history a flat-file sink keeps there (a redis sink's sessions are in Redis itself, as its sess: keys); run the pipeline with a flat-file sink first, or give --output the folder of one")
        }
        // Into the sink's own folder (the history's, or the pipeline's `sink.output` when the
        // history is read from another) it would replace the last run's files (its sessions
        // file, and the csv writer's deleted.ndjson that a warehouse reads): refused.
        let guarded = [historyFolder] + (pipeline.map { [$0.sink.output] } ?? [])
        if let target = Self.resolved(folder), guarded.contains(where: { Self.resolved($0) == target }) {
            throw PipelineError("export into \(folder), the sink's own output folder, would replace the last run's files there: choose another folder with --to (default: <output>/export)")
        }
        // A history holding fewer runs than its folder's committed into it lacks their days:
        // refused as a run over it is (rv77c: such an export passed, exit 0, one day of three).
        let stored: Int64
        do throws(SinkError) {
            stored = try SQLiteHistoryStore.storedGeneration(inFolder: historyFolder) ?? 0
        } catch {
            throw PipelineError("export from \(historyFolder): \(error.message)")
        }
        try Runner.refuseHistoryBehind(stored: stored, folder: historyFolder, manifestFile: Manifest.fileName)
        try Runner.makeFolder(folder)
        do throws(SinkError) {
            if kind == .ndjson || kind == .redis {
                let file = try AtomicFile(path: folder + "/" + NDJSONSessionWriter.fileName)
                let count = try SQLiteHistoryStore.appendAllSessions(ofHistoryAt: path, to: file)
                try file.commit()
                return (count, file.path)
            }
            guard let pipeline else { throw SinkError("export as \(kind.rawValue) needs the pipeline's schema and sink settings") }
            let (writer, written) = try Runner.flatWriter(kind, pipeline: pipeline, folder: folder, gzip: false)
            let count = try SQLiteHistoryStore.forEachSessionBody(ofHistoryAt: path) { body throws(SinkError) in
                guard let session = SessionBody.decode(body) else {
                    throw SinkError("a stored session is not a line funnel writes: \(String(decoding: body.prefix(80), as: UTF8.self))")
                }
                try writer.write(encoded: writer.encode(session))
            }
            try writer.finish()
            // The csv writer lists deletions beside its file; an export has none to list (and
            // is never written into the folder of a run's own list, above).
            unlink(folder + "/" + DeletedSessionsFile.fileName)
            return (count, written)
        } catch {
            throw PipelineError("export from \(historyFolder): \(error.message)")
        }
    }

    /// The canonical path of an existing folder; nil when it does not exist.
    private static func resolved(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}
