import FunnelCore
import FunnelTestSupport
import FunnelWriters
import Testing

struct CSVSessionWriterTests {
    private func written(_ sessions: [SessionRecord], fieldNames: [String]) throws -> String {
        let folder = TestFiles.temporaryFolder("funnel-csv")
        defer { TestFiles.remove(folder) }
        let writer = try CSVSessionWriter(folder: folder, fieldNames: fieldNames)
        try writer.write(sessions)
        #expect(!TestFiles.exists(folder + "/sessions.csv"), "the file must not appear before finish()")
        try writer.finish()
        #expect(writer.sessionsWritten == sessions.count)
        return TestFiles.readText(folder + "/sessions.csv") ?? ""
    }

    @Test func headerNamesEveryFieldOfTheLayoutInOrder() throws {
        let mvp = FieldLayout(schema: .mvp).fieldNames
        let text = try written([], fieldNames: mvp)
        #expect(text == "session_id," + mvp.joined(separator: ",") + "\r\n")
        #expect(text.hasPrefix("session_id,utm_source,utm_medium,utm_campaign,utm_content,first_touch_timestamp,landing_page,"))

        let enhanced = FieldLayout(schema: .enhanced, slots: ["trailer"]).fieldNames
        let header = try written([], fieldNames: enhanced)
        #expect(header.contains(",content_viewed,trailer_watched,trailer_completion,total_watch_time,"))
    }

    @Test func valuesAreTheRedisTextAndMissingFieldsAreEmptyCells() throws {
        let session = SessionRecord(
            id: "abc123", start: 1_704_067_200_000,
            fields: [
                Field("utm_source", .string("google")), Field("donation_completed", .bool(true)),
                Field("donation_amount", .amount(Amount(micros: 12_500_000))), Field("created_at", .integer(1_704_067_200_000)),
                Field("not_a_column", .string("dropped")),
            ],
            events: [EventRecord(name: "PageView", timestamp: 1_704_067_200_000)])
        let text = try written([session], fieldNames: ["utm_source", "utm_medium", "donation_completed", "donation_amount", "created_at"])
        #expect(text == "session_id,utm_source,utm_medium,donation_completed,donation_amount,created_at\r\n"
            + "abc123,google,,true,12.5,1704067200000\r\n")
    }

    @Test(arguments: [
        ("plain", "plain"),
        ("with space", "with space"),
        ("a,b", #""a,b""#),
        (#"say "hi""#, #""say ""hi""""#),
        ("\"", "\"\"\"\""),
        ("line\nbreak", "\"line\nbreak\""),
        ("carriage\rreturn", "\"carriage\rreturn\""),
        ("crlf\r\nend", "\"crlf\r\nend\""),
        ("Zürich ✉︎ 東京", "Zürich ✉︎ 東京"),
        ("'single' ;semi\ttab", "'single' ;semi\ttab"),
    ])
    func quotesOnlyWhatRFC4180Needs(value: String, cell: String) throws {
        let session = SessionRecord(id: "s1", start: 0, fields: [Field("landing_page", .string(value))], events: [])
        let text = try written([session], fieldNames: ["landing_page"])
        #expect(Array(text.utf8) == Array("session_id,landing_page\r\ns1,\(cell)\r\n".utf8))
    }

    @Test func rowsKeepTheGivenOrderAndReadBackExactly() throws {
        let columns = ["utm_source", "landing_page", "country", "created_at"]
        let values = ["", "a,b", "q\"uote", "multi\nline\r\nvalue", "émoji 🎬", ",\",\r\n", "trailing space "]
        let sessions = (0..<50).map { index in
            SessionRecord(
                id: "s\(index)", start: Int64(index),
                fields: [
                    Field("utm_source", .string(values[index % values.count])),
                    index % 3 == 0 ? nil : Field("landing_page", .string("/p/\(values[(index + 1) % values.count])")),
                    Field("created_at", .integer(Int64(index))),
                ].compactMap { $0 },
                events: [])
        }
        let folder = TestFiles.temporaryFolder("funnel-csv")
        defer { TestFiles.remove(folder) }
        let writer = try CSVSessionWriter(folder: folder, fieldNames: columns)
        try writer.write(Array(sessions[..<20]))
        try writer.write(Array(sessions[20...]))
        try writer.finish()

        let rows = Self.parseCSV(TestFiles.read(folder + "/sessions.csv") ?? [])
        #expect(rows.first == ["session_id"] + columns)
        #expect(rows.count == sessions.count + 1)
        for (session, row) in zip(sessions, rows.dropFirst()) {
            let expected = [session.id] + columns.map { session[field: $0]?.text ?? "" }
            #expect(row == expected)
        }
    }

    @Test func aRepeatedColumnIsRefused() {
        let folder = TestFiles.temporaryFolder("funnel-csv")
        defer { TestFiles.remove(folder) }
        #expect(throws: SinkError.self) { try CSVSessionWriter(folder: folder, fieldNames: ["country", "country"]) }
        #expect(throws: SinkError.self) { try CSVSessionWriter(folder: folder, fieldNames: ["session_id"]) }
    }

    /// A strict RFC 4180 reader (CRLF records, quoted cells), to check the writer by reading back.
    static func parseCSV(_ bytes: [UInt8]) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var cell: [UInt8] = []
        var i = 0
        var quoted = false
        while i < bytes.count {
            let byte = bytes[i]
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "\"") {
                        cell.append(byte)
                        i += 2
                        continue
                    }
                    quoted = false
                } else {
                    cell.append(byte)
                }
                i += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                quoted = true
            case UInt8(ascii: ","):
                row.append(String(decoding: cell, as: UTF8.self))
                cell = []
            case 0x0D:
                guard i + 1 < bytes.count, bytes[i + 1] == 0x0A else {
                    Issue.record("a bare CR outside quotes at byte \(i)")
                    return rows
                }
                row.append(String(decoding: cell, as: UTF8.self))
                rows.append(row)
                row = []
                cell = []
                i += 1
            case 0x0A:
                Issue.record("a bare LF outside quotes at byte \(i)")
                return rows
            default:
                cell.append(byte)
            }
            i += 1
        }
        #expect(row.isEmpty && cell.isEmpty, "the file must end with CRLF")
        return rows
    }
}
