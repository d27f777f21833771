@testable import FunnelTransform
import Testing

/// First and last touch of a visitor's sessions, one session at a time (SPEC 5): the last
/// touch is the latest session up to this one whose source is not `direct`, by its source
/// alone (a campaign tagged `utm_source=direct` is no touch either), else `direct` and this
/// session's start.
struct VisitorTouchesTests {
    @Test func theLastTouchIsTheLatestSessionWhoseSourceIsNotDirect() {
        var tracker = VisitorTouches.Tracker()
        let steps: [(Channel, Int64, String, Int64)] = [
            (.direct, 100, "direct", 100),
            (Channel(source: "news", medium: "(not set)"), 200, "news", 200),
            (Channel(source: "direct", medium: "(not set)"), 300, "news", 200),
            (Channel(source: "direct", medium: "email"), 350, "news", 200),
            (.direct, 400, "news", 200),
            (Channel(source: "google", medium: "organic"), 500, "google", 500),
        ]
        for (index, (channel, start, source, timestamp)) in steps.enumerated() {
            let touches = tracker.next(channel: channel, start: start)
            #expect(touches.lastTouchSource == source && touches.lastTouchTimestamp == timestamp, "session \(index + 1)")
            #expect(touches.firstTouchSource == "direct" && touches.firstTouchTimestamp == 100)
            #expect(touches.sessionCount == index + 1)
        }
    }
}
