@testable import FunnelPipeline
import Testing

/// The index a pending history change is read by: every key's places, in order, as an array
/// per key would give them.
@Suite struct PlaceIndexTests {
    @Test func placesOfEachKeyInOrder() {
        let keys = ["a", "b", "a", "c", "c", "a", "b", "d"]
        let index = PlaceIndex(count: keys.count) { keys[$0] }
        #expect(Array(index.places(of: "a")) == [0, 2, 5])
        #expect(Array(index.places(of: "b")) == [1, 6])
        #expect(Array(index.places(of: "c")) == [3, 4])
        #expect(Array(index.places(of: "d")) == [7])
        #expect(index.places(of: "e").isEmpty)
        #expect(Array(index.places(of: "e")).isEmpty)
        #expect(!index.places(of: "d").isEmpty)
        #expect(!index.isEmpty)
    }

    @Test func sameAsAnArrayPerKey() {
        var generator = WriteBehindHistoryTests.Generator(state: 7)
        let keys = (0..<5_000).map { _ in "k\(generator.next(700))" }
        let index = PlaceIndex(count: keys.count) { keys[$0] }
        var expected: [String: [Int]] = [:]
        for (place, key) in keys.enumerated() { expected[key, default: []].append(place) }
        for (key, places) in expected { #expect(Array(index.places(of: key)) == places) }
    }

    @Test func emptyList() {
        let index = PlaceIndex(count: 0) { _ in "" }
        #expect(index.isEmpty)
        #expect(index.places(of: "").isEmpty)
    }
}
