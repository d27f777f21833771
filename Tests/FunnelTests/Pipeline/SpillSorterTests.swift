@testable import FunnelPipeline
import FunnelWriters
import Testing

/// The scratch's external sort: records come back sorted by key as SQLite orders text, equal
/// keys in the order added, whether they stayed in memory or went through runs on disk.
struct SpillSorterTests {
    private func read(_ sorter: SpillSorter) throws -> [(String, Int)] {
        var seen: [(String, Int)] = []
        try sorter.forEach { key, value in
            seen.append((String(decoding: key, as: UTF8.self), value.loadUnaligned(as: Int.self)))
        }
        return seen
    }

    /// Keys of many lengths sharing prefixes (the first eight bytes decide most comparisons),
    /// with repeats, through memory bounds from all-in-memory to a run per few records (more
    /// than `fanIn` runs, so levels are merged): the stable sort of a model every time.
    @Test(arguments: [(1 << 20, SpillSorter.defaultFanIn), (2_000, SpillSorter.defaultFanIn), (100, SpillSorter.defaultFanIn), (100, 3)])
    func recordsComeBackSortedByKeyAndStable(memoryBytes: Int, fanIn: Int) throws {
        let sorter = SpillSorter(purpose: "a test", memoryBytes: memoryBytes, fanIn: fanIn)
        var random = WriteBehindHistoryTests.Generator(state: 7)
        var model: [(String, Int)] = []
        let alphabet = Array("ab\u{7F}Zé0".unicodeScalars)
        for index in 0..<3_000 {
            var key = ""
            for _ in 0..<random.next(12) { key.unicodeScalars.append(alphabet[random.next(alphabet.count)]) }
            model.append((key, index))
            try sorter.add(key: key, value: index)
        }
        let expected = model.enumerated().sorted { a, b in
            if a.element.0.utf8.elementsEqual(b.element.0.utf8) { return a.offset < b.offset }
            return a.element.0.utf8.lexicographicallyPrecedes(b.element.0.utf8)
        }.map(\.element)
        let seen = try read(sorter)
        #expect(seen.count == 3_000)
        #expect(seen.map(\.0) == expected.map(\.0))
        #expect(seen.map(\.1) == expected.map(\.1))
        // About 600 runs written at 100 bytes: merged level by level into few (with three at
        // a time, six levels deep).
        if memoryBytes == 100 { #expect(sorter.runCount < (fanIn == 3 ? 15 : 64)) }
        if memoryBytes == 2_000 { #expect(sorter.runCount > 1) }
        // Read again, then more added: still the whole, in order.
        #expect(try read(sorter).map(\.1) == expected.map(\.1))
        try sorter.add(key: "", value: 3_000)
        try sorter.add(key: "a", value: 3_001)
        let again = try read(sorter)
        #expect(again.count == 3_002)
        #expect(again.first?.0 == "")
        let lastEmpty = again.lastIndex { $0.0 == "" }!
        #expect(again[lastEmpty].1 == 3_000)
    }

    /// The runs of one level share a file, and a level merged into the next lets its file go:
    /// hundreds of runs hold a descriptor per level, not one each (a file per run held up to
    /// 63 per sorter, and a day of 62 servers' logs failed under `ulimit -n 64`).
    @Test(arguments: [SpillSorter.defaultFanIn, 3])
    func theRunsOfALevelShareOneFile(fanIn: Int) throws {
        let sorter = SpillSorter(purpose: "a test", memoryBytes: 100, fanIn: fanIn)
        var filesSeen = 0
        for index in 0..<3_000 {
            try sorter.add(key: String(index % 97), value: index)
            filesSeen = max(filesSeen, sorter.fileCount)
            #expect(sorter.fileCount == sorter.levelCount)
        }
        #expect(sorter.runCount > sorter.levelCount)
        #expect(filesSeen <= (fanIn == 3 ? 8 : 2))
        // Each run is read from its own bytes of the shared file: the whole, sorted.
        let keys = try read(sorter).map(\.0)
        #expect(keys.count == 3_000)
        #expect(keys == keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }

    /// A record larger than the memory bound and than a run reader's buffer comes back whole.
    @Test func aRecordLargerThanTheBoundAndTheReadBuffer() throws {
        let sorter = SpillSorter(purpose: "a test", memoryBytes: 64)
        let long = Array(repeating: UInt8(ascii: "x"), count: 300_000)
        try sorter.add(key: "b", value: 1)
        try long.withUnsafeBytes { value in
            try "a".utf8CString.withUnsafeBytes { key in try sorter.add(key: UnsafeRawBufferPointer(rebasing: key.dropLast()), value: value) }
        }
        try sorter.add(key: "c", value: 2)
        var lengths: [Int] = []
        var keys: [String] = []
        try sorter.forEach { key, value in
            keys.append(String(decoding: key, as: UTF8.self))
            lengths.append(value.count)
        }
        #expect(keys == ["a", "b", "c"])
        #expect(lengths == [300_000, 8, 8])
    }

    /// A run file is read record by record: one whole record, then whatever follows. A file
    /// that ends inside the next record's header, key or value is an error naming the file's
    /// purpose, never a quiet end of the run (a whole file ends cleanly).
    @Test(arguments: [0, 5, 8 + 2, 8 + 3])
    func aRunFileCutInsideARecordIsAnError(extra: Int) throws {
        // One record with a three-byte key "abc" and a one-byte value, then `extra` bytes of
        // a second record whose header says the same lengths.
        var record: [UInt8] = [3, 0, 0, 0, 1, 0, 0, 0]
        record += Array("abc".utf8) + [7]
        let file = try TemporaryFile(purpose: "a cut run")
        try file.append(record + Array(record.prefix(extra)))
        try file.seal()
        let reader = try RunReader(file, bufferBytes: 16)
        #expect(try reader.advance())
        #expect(Array(reader.key) == Array("abc".utf8))
        #expect(Array(reader.value) == [7])
        if extra == 0 {
            #expect(try reader.advance() == false)
        } else {
            let error = #expect(throws: SinkError.self) { try reader.advance() }
            #expect(error?.message.contains("a cut run ends inside a record") == true)
        }
    }
}
