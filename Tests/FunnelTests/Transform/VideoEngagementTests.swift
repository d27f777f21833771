import FunnelCore
@testable import FunnelTransform
import Testing

/// Content slots (docs/fields.md, `content_slots`): a Video* event's `content` matching a
/// slot's pattern, without regard to case, marks the slot watched with its highest percent.
struct VideoEngagementTests {
    private func video(_ event: String, _ content: String, percent: Int64? = nil, at seconds: Int64) -> Record {
        var record = Record(origin: .client, event: event, timestamp: 1_704_067_200_000 + seconds * 1000)
        record.properties.content = content
        record.properties.percent = percent
        return record
    }

    @Test(arguments: [
        ("trailer", true), ("Trailer", true), ("TRAILER-2024", true), ("trailer_v2", true),
        ("the-trailer", false), ("intro", false), ("", false),
    ])
    func aContentMatchesItsSlotInAnyCase(content: String, watched: Bool) {
        let engagement = VideoEngagement(records: [video("VideoStart", content, at: 0), video("VideoProgress", content, percent: 40, at: 5)],
                                         slots: ContentSlot.defaults)
        #expect(engagement.slots[0].watched == watched)
        #expect(engagement.slots[0].completion == (watched ? 40 : nil))
        #expect(engagement.slots[1].watched == (content == "intro"))
    }

    @Test func aSlotsPatternInCapitalsMatchesTooAndCompletionIsTheHighest() {
        let slots = [ContentSlot(name: "film", pattern: "Feature*")]
        let engagement = VideoEngagement(records: [video("VideoProgress", "feature-cut", percent: 30, at: 0),
                                                   video("VideoComplete", "FEATURE-cut", at: 60),
                                                   video("VideoProgress", "Feature-cut", percent: 50, at: 61)],
                                         slots: slots)
        #expect(engagement.slots[0].watched)
        #expect(engagement.slots[0].completion == 100)
    }

    /// A content with neither a `watch_time` nor a VideoStart gives no time: alone, no total
    /// (until 2026-12-05 it was 0); beside a timed content, the timed one's.
    @Test func aContentWithoutAStartOrAWatchTimeGivesNoTime() {
        let untimed = VideoEngagement(records: [video("VideoProgress", "trailer", percent: 40, at: 0),
                                                video("VideoProgress", "trailer", percent: 60, at: 20)], slots: ContentSlot.defaults)
        #expect(untimed.slots[0].completion == 60)
        #expect(untimed.totalWatchTime == nil)
        let mixed = VideoEngagement(records: [video("VideoProgress", "trailer", percent: 40, at: 0),
                                              video("VideoStart", "intro", at: 10), video("VideoComplete", "intro", at: 40)],
                                    slots: ContentSlot.defaults)
        #expect(mixed.totalWatchTime == Amount(micros: 30_000_000))
    }

    /// A content is one whatever its case, as a slot matches it: `Trailer`'s start and
    /// `trailer`'s progress give the span between them (they were two contents, one never
    /// started: no time; a review).
    @Test func aContentsTimeIsOneWhateverItsCase() {
        let engagement = VideoEngagement(records: [video("VideoStart", "Trailer", at: 0), video("VideoProgress", "trailer", percent: 40, at: 40)],
                                          slots: ContentSlot.defaults)
        #expect(engagement.slots[0].completion == 40)
        #expect(engagement.totalWatchTime == Amount(micros: 40_000_000))
    }

    /// A negative `watch_time` is no time (it was summed: -5 s; a review): the content's
    /// largest non-negative one counts, and one with only negative ones gives no time.
    @Test func aNegativeWatchTimeIsNoTime() {
        func timed(_ content: String, _ seconds: Int64, at: Int64) -> Record {
            var record = video("VideoProgress", content, at: at)
            record.properties.watchTime = Amount(micros: seconds * 1_000_000)
            return record
        }
        #expect(VideoEngagement(records: [timed("trailer", -5, at: 0)], slots: ContentSlot.defaults).totalWatchTime == nil)
        let mixed = VideoEngagement(records: [timed("trailer", -5, at: 0), timed("trailer", 12, at: 12), timed("intro", -1, at: 20)],
                                    slots: ContentSlot.defaults)
        #expect(mixed.totalWatchTime == Amount(micros: 12_000_000))
    }
}
