import FunnelCore

/// Writes `sessions.ndjson` (SPEC 8.2): one object per session, `session_id` first, then the
/// schema's fields typed (numbers as numbers, booleans as booleans), then `events` in time order.
public final class NDJSONSessionWriter: EncodedSessionSink {
    public static let fileName = "sessions.ndjson"
    private let file: SessionRowsFile
    public var sessionsWritten: Int { file.rowsWritten }
    /// The file written: `fileName` in the folder, `.gz` added with `gzip`.
    public var path: String { file.path }

    /// Creates `folder/sessions.ndjson` (`sessions.ndjson.gz` with `gzip`); nothing replaces
    /// an existing file before `finish()`.
    public init(folder: String, gzip: Bool = false) throws(SinkError) {
        file = try SessionRowsFile(folder: folder, fileName: Self.fileName, gzip: gzip)
    }

    public func encode(_ session: SessionRecord) -> [UInt8] {
        // A typical line is about 430 bytes; a longer one is written again with more room.
        ByteWriter.bytes(capacity: 2048) { Self.write(session, to: &$0) }
    }

    public func write(encoded: [UInt8]) throws(SinkError) { try file.append(row: encoded) }

    public func delete(_ ids: [String]) throws(SinkError) { try file.delete(ids) }

    public func prepare() throws(SinkError) { try file.prepare() }

    public func finish() throws(SinkError) { try file.commit() }

    /// One session as its `sessions.ndjson` line, newline included.
    public static func append(_ session: SessionRecord, to out: inout [UInt8]) {
        ByteWriter.append(to: &out, capacity: 2048) { write(session, to: &$0) }
    }

    /// Writes the line `append` appends.
    public static func write(_ session: SessionRecord, to out: inout ByteWriter) {
        out.write(#"{"session_id":"#)
        out.writeJSONString(session.id)
        for field in session.fields {
            out.write(UInt8(ascii: ","))
            out.writeJSONString(field.name)
            out.write(UInt8(ascii: ":"))
            field.value.writeJSON(to: &out)
        }
        out.write(#","events":["#)
        for (index, event) in session.events.enumerated() {
            if index > 0 { out.write(UInt8(ascii: ",")) }
            event.writeJSON(to: &out)
        }
        out.write("]}\n")
    }
}
