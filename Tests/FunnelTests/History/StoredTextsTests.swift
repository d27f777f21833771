import FunnelCore
@testable import FunnelPipeline
import FunnelTestSupport
import Testing

/// A visitor row's lists kept in their stored form (`StoredTexts`): every text survives, and
/// what the planner does with a continued visitor's lists without making them strings
/// (leaving items out, putting new ones in order) gives what the same steps on `[String]`
/// give, or says it cannot.
@Suite struct StoredTextsTests {
    /// Texts of every kind a list may hold: empty, the form's own `:` and `|`, digits that
    /// look like a length, a line break, non-ASCII, long.
    static let odd = ["", ":", "|", "12:34", "0", "s:a|b", "line\nbreak", "ünï\u{1F3AC}", String(repeating: "x", count: 300)]

    /// Random ASCII ids like the planner's groups (`s:` and a client session id), some
    /// sharing prefixes, so that byte order and prefixes both decide.
    static func ids(_ count: Int, _ random: inout SplitMix64) -> [String] {
        (0..<count).map { _ in "s:" + String(random.next(upTo: 5_000), radix: 36) + (random.next(upTo: 3) == 0 ? "-\(random.next(upTo: 9))" : "") }
    }

    @Test func everyTextRoundTrips() {
        var random = SplitMix64(seed: 7)
        for texts in [[], Self.odd, Self.odd.reversed() + Self.ids(500, &random)] {
            let list = StoredTexts(texts)
            #expect(Array(list) == texts)
            #expect(list.count == texts.count && list.isEmpty == texts.isEmpty)
            let read = list.bytes.withUnsafeBufferPointer { StoredTexts(stored: $0) }
            #expect(read == list)
            #expect(read.map(Array.init) == texts)
        }
        #expect(String(decoding: StoredTexts(["ab", "", "c:d"]).bytes, as: UTF8.self) == "2:ab0:3:c:d")
    }

    /// A length with leading zeros (no version writes one) is read, and written without them,
    /// so that a list read so equals the same list made from its texts.
    @Test func aLengthWithLeadingZerosIsReadAndWrittenWithout() {
        let read = Array("02:ab003:xyz".utf8).withUnsafeBufferPointer { StoredTexts(stored: $0) }
        #expect(read == StoredTexts(["ab", "xyz"]))
        #expect(read.map { String(decoding: $0.bytes, as: UTF8.self) } == "2:ab3:xyz")
    }

    @Test func damageIsRefused() {
        for damaged in ["5:abc", "3abc", ":abc", "x:1", "2:ab|", "99999999999:a"] {
            #expect(Array(damaged.utf8).withUnsafeBufferPointer { StoredTexts(stored: $0) } == nil, "\(damaged)")
        }
    }

    /// `removing` leaves out exactly what `filter` would, in order, at their positions,
    /// whatever the sieve lets through (all, or the hashes looked for), and copies the rest;
    /// `forEachMatch` finds the same items at the same positions.
    @Test func removingLeavesOutWhatAFilterWould() {
        var random = SplitMix64(seed: 11)
        for round in 0..<40 {
            let texts = Self.ids(Int(random.next(upTo: 300)), &random) + (round % 4 == 0 ? Self.odd : [])
            let gone = Set(texts.filter { _ in random.next(upTo: 5) == 0 } + ["s:never"])
            let hashes = StoredTexts.Hashes(gone.map { HashedText($0).hash })
            let list = StoredTexts(texts)
            for mayRemove in [hashes.contains, { _ in true }] as [(UInt64) -> Bool] {
                let (kept, removed, positions) = list.removing(mayRemove: mayRemove) { gone.contains($0) }
                #expect(Array(kept) == texts.filter { !gone.contains($0) }, "round \(round)")
                #expect(kept.count == texts.count - removed.count)
                #expect(removed == texts.filter { gone.contains($0) })
                #expect(positions == texts.indices.filter { gone.contains(texts[$0]) })
                #expect(kept == StoredTexts(texts.filter { !gone.contains($0) }))
                var found: [Int] = []
                list.forEachMatch(mayMatch: mayRemove, { gone.contains($0) }) { position, text in
                    #expect(texts[position] == text)
                    found.append(position)
                }
                #expect(found == positions)
            }
        }
    }

    /// `merging` gives the sorted set of both lists when the stored one is sorted without
    /// repeats and all is ASCII, and nil otherwise (the caller then sorts).
    @Test func mergingGivesTheSortedSetOrSaysItCannot() {
        var random = SplitMix64(seed: 13)
        for round in 0..<60 {
            let stored = Array(Set(Self.ids(Int(random.next(upTo: 200)), &random))).sorted()
            // New texts: some already stored, some before the first and after the last.
            var adding = Self.ids(Int(random.next(upTo: 20)), &random) + ["s:", "s:zzzzzz"]
            if !stored.isEmpty { adding.append(stored[Int(random.next(upTo: UInt64(stored.count)))]) }
            let new = Array(Set(adding)).sorted()
            let merged = StoredTexts(stored).merging(sorted: new)
            #expect(merged.map(Array.init) == Array(Set(stored + new)).sorted(), "round \(round)")
            #expect(merged?.count == Set(stored + new).count)
            if stored.count > 1 {
                #expect(StoredTexts(stored.reversed()).merging(sorted: new) == nil, "out of order")
                #expect(StoredTexts(stored + [stored[0]]).merging(sorted: new) == nil, "a repeat")
            }
        }
        #expect(StoredTexts(["s:a", "s:ü"]).merging(sorted: ["s:b"]) == nil)
        #expect(StoredTexts(["s:a"]).merging(sorted: ["s:ü"]) == nil)
        #expect(StoredTexts([]).merging(sorted: ["s:a", "s:b"]) == StoredTexts(["s:a", "s:b"]))
        #expect(StoredTexts(["s:a", "s:b"]).merging(sorted: []) == StoredTexts(["s:a", "s:b"]))
    }

    /// A continued visitor's groups for its new row (`HistoryPlanner.groups`) are what a
    /// rebuild's set gives: its stored groups less those another visitor took in the chunk,
    /// with its chunk's, sorted; a stored list out of order or not ASCII included.
    @Test func aContinuedVisitorsGroupsAreWhatARebuildsSetGives() {
        var random = SplitMix64(seed: 17)
        let visitor = HashedText("v1")
        for round in 0..<60 {
            var stored = Array(Set(Self.ids(Int(random.next(upTo: 200)), &random))).sorted()
            if round % 5 == 1 { stored.reverse() }
            if round % 5 == 2 { stored.append("s:ü") }
            let chunk = Array(Set(Self.ids(Int(random.next(upTo: 30)), &random) + stored.filter { _ in random.next(upTo: 10) == 0 })).sorted()
            var visitorOf: [HashedText: HashedText] = [:]
            for group in chunk { visitorOf[HashedText(group)] = random.next(upTo: 3) == 0 ? HashedText("v2") : visitor }
            let own = chunk.filter { visitorOf[HashedText($0)] == visitor }.sorted().map(HashedText.init)
            let taken = StoredTexts.Hashes(visitorOf.keys.map(\.hash))
            let made = HistoryPlanner.groups(StoredTexts(stored), of: visitor, adding: own, visitorOf: visitorOf, takenHashes: taken)
            let expected = Set(stored.filter { visitorOf[HashedText($0)].map { $0 == visitor } ?? true } + own.map(\.text)).sorted()
            #expect(Array(made) == expected, "round \(round)")
        }
    }

    @Test func aRowsGroupsAreSearchedExactly() {
        var random = SplitMix64(seed: 19)
        let stored = Self.ids(2_000, &random)
        let list = StoredTexts(stored)
        #expect(HistoryPlanner.lists(list, anyOf: [stored[1_234]]))
        #expect(HistoryPlanner.lists(list, anyOf: ["s:none", stored.last!]))
        #expect(!HistoryPlanner.lists(list, anyOf: ["s:none", "s:"]))
        #expect(!HistoryPlanner.lists(StoredTexts(), anyOf: ["s:a"]))
    }
}
