import FunnelCore

/// Writes `sessions.csv` (SPEC 8.2): a header `session_id,<every field of the schema>`, then
/// one row per session in the order the sessions arrive, RFC 4180 (CRLF line ends, a cell
/// quoted when it holds `,`, `"`, CR or LF, inner quotes doubled).
///
/// The columns come from the pipeline's `FieldLayout`, not from the sessions, so every row
/// has the same width and a field a session lacks is an empty cell. Values are written as
/// `FieldValue.text`, the same strings Redis holds. Events are not in the CSV: a table has no
/// good place for a list; `sessions.ndjson` and Redis carry them.
public final class CSVSessionWriter: EncodedSessionSink {
    public static let fileName = "sessions.csv"
    public let fieldNames: [String]
    private let file: SessionRowsFile
    private let columns: [String: Int]
    public var sessionsWritten: Int { file.rowsWritten }
    /// The file written: `fileName` in the folder, `.gz` added with `gzip`.
    public var path: String { file.path }

    /// Creates `folder/sessions.csv` (`sessions.csv.gz` with `gzip`); nothing replaces an
    /// existing file before `finish()`.
    ///
    /// - Parameter fieldNames: the columns after `session_id`, normally
    ///   `FieldLayout(schema:slots:).fieldNames`. A session field not named here is not written.
    public init(folder: String, fieldNames: [String], gzip: Bool = false) throws(SinkError) {
        var columns: [String: Int] = [:]
        for (index, name) in fieldNames.enumerated() {
            guard columns.updateValue(index, forKey: name) == nil else { throw SinkError("CSV column '\(name)' is named twice") }
        }
        guard columns[FieldName.sessionID] == nil else { throw SinkError("CSV column 'session_id' is always the first; do not name it again") }
        self.fieldNames = fieldNames
        self.columns = columns
        file = try SessionRowsFile(folder: folder, fileName: Self.fileName, gzip: gzip)
        try file.withBuffer { out in
            Self.appendCell(FieldName.sessionID, to: &out)
            for name in fieldNames {
                out.append(UInt8(ascii: ","))
                Self.appendCell(name, to: &out)
            }
            out.append(contentsOf: [0x0D, 0x0A])
        }
    }

    /// One row, CRLF included.
    public func encode(_ session: SessionRecord) -> [UInt8] {
        var row = [String?](repeating: nil, count: fieldNames.count)
        for field in session.fields {
            if let column = columns[field.name] { row[column] = field.value.text }
        }
        var out: [UInt8] = []
        Self.appendCell(session.id, to: &out)
        for cell in row {
            out.append(UInt8(ascii: ","))
            if let cell { Self.appendCell(cell, to: &out) }
        }
        out.append(contentsOf: [0x0D, 0x0A])
        return out
    }

    public func write(encoded: [UInt8]) throws(SinkError) { try file.append(row: encoded) }

    public func delete(_ ids: [String]) throws(SinkError) { try file.delete(ids) }

    public func prepare() throws(SinkError) { try file.prepare() }

    public func finish() throws(SinkError) { try file.commit() }

    /// Appends one cell, quoted only when RFC 4180 needs it.
    static func appendCell(_ text: String, to out: inout [UInt8]) {
        let needsQuotes = text.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0D || $0 == 0x0A }
        guard needsQuotes else {
            out.appendUTF8(text)
            return
        }
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\"") { out.append(byte) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
    }
}
