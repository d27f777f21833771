import Foundation
import FunnelPipeline
import FunnelTestSupport
import Testing

/// A few thousand generated visitors with known sessions are rebuilt exactly, session for
/// session: ids, starts, event counts, landing pages, amounts and UTM sources.
struct GeneratedTrafficTests {
    /// `chunkRecords` nil flushes once at the end (the input is far below the default); 500
    /// flushes hundreds of times, by timeout and, when too few sessions have closed, all at once.
    @Test(arguments: [nil, 500] as [Int?])
    func rebuildsEveryGeneratedSession(chunkRecords: Int?) throws {
        let folder = TestFiles.temporaryFolder("generated-\(chunkRecords ?? 0)")
        defer { TestFiles.remove(folder) }
        var generator = TrafficGenerator(seed: 20_240_301)
        let traffic = generator.writeDay(visitors: 3000, to: folder)
        var options = RunOptions()
        options.progress = .never
        options.chunkRecords = chunkRecords
        let summary = try Runner(pipeline: PipelineLoader.load(path: folder + "/pipeline.yaml"), options: options, report: { _ in }).run()
        #expect(summary.exitStatus == .success)
        #expect(summary.rejectedTotal == 0)
        #expect(summary.visitors == traffic.visitors)

        let text = try #require(TestFiles.readText(folder + "/out/sessions.ndjson"))
        var actual: [TrafficGenerator.ExpectedSession] = []
        for line in text.split(separator: "\n") {
            let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            actual.append(TrafficGenerator.ExpectedSession(
                id: try #require(object["session_id"] as? String),
                createdAt: try #require((object["created_at"] as? NSNumber)?.int64Value),
                events: try #require(object["events"] as? [Any]).count,
                landingPage: object["landing_page"] as? String,
                donationAmount: (object["donation_amount"] as? NSNumber).map { "\($0)" },
                utmSource: object["utm_source"] as? String))
        }
        #expect(actual.count == traffic.expected.count)
        let expectedByID = Dictionary(uniqueKeysWithValues: traffic.expected.map { ($0.id, $0) })
        var mismatches = 0
        for session in actual where expectedByID[session.id] != session {
            mismatches += 1
            if mismatches <= 5 { Issue.record("session \(session.id): got \(session), expected \(String(describing: expectedByID[session.id]))") }
        }
        #expect(mismatches == 0)
        // Output order is (created_at, session_id).
        #expect(actual.map { "\($0.createdAt)|\($0.id)" } == actual.map { "\($0.createdAt)|\($0.id)" }.sorted { a, b in
            let (ta, ia) = (Int64(a.split(separator: "|")[0])!, a.split(separator: "|")[1])
            let (tb, ib) = (Int64(b.split(separator: "|")[0])!, b.split(separator: "|")[1])
            return ta != tb ? ta < tb : ia < ib
        })
    }
}
