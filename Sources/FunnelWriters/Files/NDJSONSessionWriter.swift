import FunnelCore

/// Writes `sessions.ndjson` (SPEC 8.2): one object per session, `session_id` first, then the
/// schema's fields typed (numbers as numbers, booleans as booleans), then `events` in time order.
public final class NDJSONSessionWriter: EncodedSessionSink {
    public static let fileName = "sessions.ndjson"
    private let file: AtomicFile
    private let deleted: DeletedSessionsFile
    public private(set) var sessionsWritten = 0

    /// Creates `folder/sessions.ndjson`; nothing replaces an existing file before `finish()`.
    public init(folder: String) throws(SinkError) {
        file = try AtomicFile(path: folder + "/" + Self.fileName)
        deleted = try DeletedSessionsFile(folder: folder)
    }

    public func encode(_ session: SessionRecord) -> [UInt8] {
        // Room for a typical line (about 430 bytes at M): one allocation instead of the six
        // a growing array makes on the way there.
        var out: [UInt8] = []
        out.reserveCapacity(512)
        Self.append(session, to: &out)
        return out
    }

    public func write(encoded: [UInt8]) throws(SinkError) {
        try file.append(encoded)
        sessionsWritten += 1
    }

    public func delete(_ ids: [String]) throws(SinkError) {
        try deleted.append(ids)
    }

    public func finish() throws(SinkError) {
        try deleted.commit()
        try file.commit()
    }

    /// One session as its `sessions.ndjson` line, newline included.
    public static func append(_ session: SessionRecord, to out: inout [UInt8]) {
        out.append(contentsOf: #"{"session_id":"#.utf8)
        JSONText.appendString(session.id, to: &out)
        for field in session.fields {
            out.append(UInt8(ascii: ","))
            JSONText.appendString(field.name, to: &out)
            out.append(UInt8(ascii: ":"))
            field.value.appendJSON(to: &out)
        }
        out.append(contentsOf: #","events":["#.utf8)
        for (index, event) in session.events.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            event.appendJSON(to: &out)
        }
        out.append(contentsOf: "]}\n".utf8)
    }
}
