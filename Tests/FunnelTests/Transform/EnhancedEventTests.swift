import FunnelCore
@testable import FunnelTransform
import Testing

/// SPEC 7: the enhanced schema keeps `content` and `percent` on ViewContent and on every
/// Video* event, the ones named in the spec and custom ones alike (a `VideoPause`), since the
/// engagement fields count every Video* event; other events keep neither.
struct EnhancedEventTests {
    private func event(_ name: String) -> EventRecord {
        var record = Record(origin: .client, event: name, timestamp: 1_704_909_625_000)
        record.properties.content = "trailer_a"
        record.properties.percent = 40
        return EnhancedFields.event(record)
    }

    private func json(_ event: EventRecord) -> String {
        var bytes: [UInt8] = []
        event.appendJSON(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test(arguments: ["ViewContent", "VideoStart", "VideoProgress", "VideoComplete", "VideoPause", "VideoSeek"])
    func contentAndPercentAreKept(_ name: String) {
        #expect(json(event(name)) == #"{"event":"\#(name)","content":"trailer_a","percent":40,"timestamp":1704909625000}"#)
    }

    @Test(arguments: ["ButtonClick", "CustomThing", "video_start", "PageView"])
    func otherEventsKeepNeither(_ name: String) {
        #expect(!json(event(name)).contains("trailer_a"))
        #expect(!json(event(name)).contains("percent"))
    }
}
