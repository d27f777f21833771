/// What the two row-per-session files (`sessions.ndjson`, `sessions.csv`) have in common: the
/// file itself, written to a temporary name and renamed at `commit()`, its companion
/// `deleted.ndjson`, and the count of sessions written. The writers differ only in how a
/// session becomes a row; keeping the file's bookkeeping here means a change to it (what a
/// deletion writes, in which order the two files are committed) is made once for both.
final class SessionRowsFile {
    private let file: AtomicFile
    private let deleted: DeletedSessionsFile
    private(set) var rowsWritten = 0
    /// The file written, `.gz` added with `gzip`.
    var path: String { file.path }

    /// Creates `folder/fileName` and `folder/deleted.ndjson`; nothing replaces an existing
    /// file before `commit()`.
    init(folder: String, fileName: String, gzip: Bool) throws(SinkError) {
        file = try AtomicFile(path: folder + "/" + fileName, gzip: gzip)
        deleted = try DeletedSessionsFile(folder: folder)
    }

    /// Bytes written before the rows (a header).
    func withBuffer(_ body: (inout [UInt8]) -> Void) throws(SinkError) {
        try file.withBuffer(body)
    }

    func append(row: [UInt8]) throws(SinkError) {
        try file.append(row)
        rowsWritten += 1
    }

    func delete(_ ids: [String]) throws(SinkError) {
        try deleted.append(ids)
    }

    /// Flushes and fsyncs both files under their temporary names.
    func prepare() throws(SinkError) {
        try deleted.prepare()
        try file.prepare()
    }

    /// Renames both files into place, `deleted.ndjson` first.
    func commit() throws(SinkError) {
        try deleted.commit()
        try file.commit()
    }
}
