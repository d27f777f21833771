import FunnelCore
import FunnelTransform
import Testing

/// The group a record is held and stored under (`s:` and its client session id, else `v:` and
/// its visitor key): the history's keys, so the text must not change.
struct GroupKeyTests {
    @Test(arguments: ["s140510", "", "3f2b8a9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "emb1946ac92492d2347c6235b4d2611184", "ünïcödé-ßession", "x"])
    func isTheTagAndTheKey(key: String) {
        var withSession = Record(origin: .client, event: "PageView", timestamp: 0)
        withSession.sessionID = key
        withSession.visitorKey = "other"
        #expect(Transformer.group(of: withSession) == "s:" + key)
        var withVisitor = Record(origin: .accessLog, event: "PageView", timestamp: 0)
        withVisitor.visitorKey = key
        #expect(Transformer.group(of: withVisitor) == "v:" + key)
        #expect(Transformer.group(ofVisitor: key) == "v:" + key)

        // Read back: a client session's group is its visitor's by its records (the session id
        // itself when none names one); a visitor's group is its key.
        let sessionGroup = Transformer.group(of: withSession)
        #expect(Transformer.isSessionGroup(sessionGroup))
        #expect(Transformer.visitor(ofGroup: sessionGroup, records: [withSession]) == "other")
        #expect(Transformer.visitor(ofGroup: sessionGroup, records: []) == key)
        let visitorGroup = Transformer.group(of: withVisitor)
        #expect(!Transformer.isSessionGroup(visitorGroup))
        #expect(Transformer.visitor(ofGroup: visitorGroup, records: [withVisitor]) == key)
    }

    @Test func aRecordWithNeitherIsTheEmptyVisitor() {
        #expect(Transformer.group(of: Record(origin: .client, event: "PageView", timestamp: 0)) == "v:")
    }
}
