import FunnelCore
import FunnelTestSupport
import FunnelTransform
import Testing

/// A visitor continued from before its latest sessions (`VisitorTail`) gets what a rebuild
/// from every record gives: for random records (client and log page views that merge, client
/// sessions, consent changes that withhold sessions, a small event cap, gaps around the
/// timeout and the maximum duration), cut anywhere into a stored part and a new part that
/// continues the tail's point, the stored sessions outside the tail plus those rebuilt from
/// the tail and the new records are the sessions of all records, the counts add up once the
/// tail's are taken off, and the visitor is left where all records leave it.
struct VisitorTailTests {
    private static let t0: Int64 = 1_709_251_200_000

    private static func transformer(maxTailRecords: Int = VisitorTail.defaultMaxRecords) -> Transformer {
        var settings = SessionSettings()
        settings.maxDurationMillis = 2 * 3_600_000
        var configuration = TransformConfiguration(schema: .enhanced, sessions: settings, salt: "tail")
        configuration.maxEventsPerSession = 6
        configuration.maxTailRecords = maxTailRecords
        return Transformer(configuration: configuration)
    }

    /// One visitor's records, as the history stores them (encoded and decoded again).
    private static func records(seed: UInt64, count: Int) -> [Record] {
        var random = SplitMix64(seed: seed)
        let gaps: [Int64] = [2_000, 8_000, 60_000, 300_000, 1_500_000, 2_400_000, 10_800_000]
        var time = t0
        return (0..<count).map { n in
            time += gaps[Int(random.next(upTo: UInt64(gaps.count)))]
            let kind = random.next(upTo: 10)
            var record = Record(origin: kind >= 4 && kind <= 6 ? .accessLog : .client,
                                event: kind == 7 ? "ViewContent" : kind == 8 ? "Consent" : "PageView", timestamp: time)
            record.position = "f:" + String(100_000 + n)
            if record.event == "PageView" {
                record.host = "film.example"
                record.path = ["/", "/watch"][Int(random.next(upTo: 2))]
                if random.next(upTo: 6) == 0 { record.query = "utm_source=newsletter&utm_medium=email" }
            }
            if kind == 8 {
                var properties = EventProperties()
                properties.analytics = random.next(upTo: 3) == 0 ? "denied" : "granted"
                record.properties = properties
            }
            if kind == 9 { record.sessionID = "c" + String(random.next(upTo: 4)) }
            return RecordCoding.decode(RecordCoding.encode(record))!
        }
    }

    @Test func aVisitorRebuiltFromBeforeItsTailGetsTheSessionsOfAllItsRecords() throws {
        let transformer = Self.transformer()
        var reopened = 0
        for seed in UInt64(1)...150 {
            let all = Self.records(seed: seed, count: 60)
            let whole = transformer.sessions(visitor: "v", records: all, keepsPast: true)
            for cut in stride(from: 8, to: all.count, by: 6) {
                let (stored, new) = (Array(all[..<cut]), Array(all[cut...]))
                let first = transformer.sessions(visitor: "v", records: stored, keepsPast: true)
                guard let tail = first.past?.tail, new.allSatisfy({ transformer.continues(tail.before, with: $0) }) else { continue }
                // A client session with stored records is not new: the planner rebuilds its visitor.
                let storedSessions = Set(stored.compactMap(\.sessionID))
                guard !new.contains(where: { $0.sessionID.map(storedSessions.contains) ?? false }) else { continue }
                let tailRecords = try #require(tail.decodedRecords())
                #expect(tailRecords.allSatisfy { $0.timestamp > tail.before.last })
                let rest = transformer.sessions(visitor: "v", records: tailRecords + new, past: tail.before, keepsPast: true)
                reopened += 1

                let replaced = Set(tail.sessionIDs)
                let sessions = (first.sessions.filter { !replaced.contains($0.id) } + rest.sessions)
                    .sorted { $0.start != $1.start ? $0.start < $1.start : $0.id < $1.id }
                #expect(sessions == whole.sessions, "seed \(seed), cut \(cut)")
                #expect(first.merged - tail.merged + rest.merged == whole.merged, "seed \(seed), cut \(cut)")
                #expect(first.withheld - tail.withheld + rest.withheld == whole.withheld, "seed \(seed), cut \(cut)")
                #expect(first.overCap - tail.overCap + rest.overCap == whole.overCap, "seed \(seed), cut \(cut)")
                #expect(rest.past?.items == whole.past?.items, "seed \(seed), cut \(cut)")
            }
        }
        // Most cuts fall inside a session or just after one, so that the new records would
        // join it: the case the tail exists for.
        #expect(reopened > 200, "\(reopened) cuts continued from a tail")
    }

    /// A tail longer than `maxTailRecords` is not kept: its visitor is rebuilt rather than
    /// its row made to carry it.
    @Test func aTailOverTheLimitIsNotKept() {
        let (kept, bounded) = (Self.transformer(), Self.transformer(maxTailRecords: 4))
        var (tails, shortTails) = (0, 0)
        for seed in UInt64(1)...40 {
            let records = Self.records(seed: seed, count: 60)
            guard let tail = kept.sessions(visitor: "v", records: records, keepsPast: true).past?.tail else { continue }
            tails += 1
            let short = bounded.sessions(visitor: "v", records: records, keepsPast: true).past?.tail
            #expect((short == nil) == (tail.records.count > 4), "seed \(seed): a tail of \(tail.records.count)")
            if short != nil { shortTails += 1 }
        }
        #expect(tails > shortTails && shortTails > 0, "\(tails) tails, \(shortTails) of at most 4 records")
    }
}
