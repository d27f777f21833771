#if canImport(Glibc)
import Glibc
#endif
import FunnelWriters

/// Records of a key and a value (bytes each), added in any order and read back sorted by key,
/// with records of equal keys in the order they were added: an external merge sort whose
/// memory stays within `memoryBytes` however many records it is given.
///
/// Keys compare as SQLite compares text and blobs (`memcmp` of the common length, then the
/// shorter first), so a key made of a session id sorts as the scratch's SQLite index sorted
/// it. Records are gathered in memory; when they reach `memoryBytes` they are sorted and
/// appended to a temporary file as one sorted run. Reading merges the runs and what is in
/// memory, in one pass of sequential reads; it can be done again, and records can be added
/// between readings. Sixty-four runs of one size are merged into one run (as an LSM tree's
/// levels are), so that a run of years reads at most a few hundred runs at once (64 KiB of
/// read buffer each while they are read), not tens of thousands.
///
/// The runs of one level share one file, which is closed once they are merged into the next
/// level: a sorter holds one descriptor per level (two or three for a run of years), so the
/// run's own descriptors do not grow with its data and its input files keep the rest of
/// `ulimit -n` (a file per run held up to 63, and a day of 62 servers' logs failed under a
/// limit of 64).
///
/// This replaced SQLite tables with an index keyed by session id (the run's scratch): every
/// insert there was a descent of a randomly keyed B-tree larger than its cache at 3 million
/// lines. Here each record is copied into memory, sorted with the others once, and written
/// and read once in order.
final class SpillSorter {
    /// What the records are, for messages.
    private let purpose: String
    private let memoryBytes: Int
    /// Records in memory, each `[key length: UInt32][value length: UInt32][key][value]`, in
    /// the first `arenaUsed` bytes.
    private var arena: UnsafeMutableRawBufferPointer
    private var arenaUsed = 0
    /// Where each record in `arena` starts, in the order added.
    private var offsets: [Int] = []
    /// `offsets` sorted by key then offset, while nothing was added since it was made.
    private var sortedCache: [Int]?
    /// Sorted runs written to temporary files, oldest records first (so levels never rise
    /// along it, and the runs of one level are side by side).
    private var runs: [Run] = []

    struct Run {
        /// The file of the run's level, shared with the other runs of that level.
        let file: TemporaryFile
        /// Its bytes in `file`.
        let start: Int
        let end: Int
        /// 0 for a run written from memory, n + 1 for a merge of runs of level n.
        let level: Int

        func reader() throws(SinkError) -> RunReader { try RunReader(file, start: start, end: end) }
    }

    /// Runs of one level merged into one (and the most sources one reading merges per level):
    /// a run of ten days of a million lines each writes about 50 runs and merges none before
    /// its end. Each source reads through 64 KiB.
    static let defaultFanIn = 64
    let fanIn: Int

    init(purpose: String, memoryBytes: Int = 4 << 20, fanIn: Int = SpillSorter.defaultFanIn) {
        self.purpose = purpose
        self.memoryBytes = memoryBytes
        self.fanIn = max(2, fanIn)
        arena = .allocate(byteCount: min(memoryBytes, 64 << 10), alignment: 16)
    }

    deinit { arena.deallocate() }

    /// Sorted runs on disk (for tests).
    var runCount: Int { runs.count }

    /// Temporary files the runs are in, and the levels of the runs (for tests): one file a level.
    var fileCount: Int { Set(runs.map { ObjectIdentifier($0.file) }).count }
    var levelCount: Int { Set(runs.map(\.level)).count }

    /// Adds one record.
    func add(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) throws(SinkError) {
        try makeRoom(8 + key.count + value.count)
        store(key, value)
    }

    /// Adds one record whose key is a text's UTF-8 and whose value is `value`'s bytes (a
    /// plain struct: the files never leave the process).
    func add<Value>(key: String, value: Value) throws(SinkError) {
        var key = key
        try makeRoom(8 + key.utf8.count + MemoryLayout<Value>.size)
        key.withUTF8 { key in withUnsafeBytes(of: value) { store(UnsafeRawBufferPointer(key), $0) } }
    }

    /// The same with the key's bytes in an array.
    func add<Value>(key: [UInt8], value: Value) throws(SinkError) {
        try makeRoom(8 + key.count + MemoryLayout<Value>.size)
        key.withUnsafeBytes { key in withUnsafeBytes(of: value) { store(key, $0) } }
    }

    /// Spills what memory holds when `length` more bytes would pass the bound, and makes room
    /// for them.
    private func makeRoom(_ length: Int) throws(SinkError) {
        if arenaUsed > 0 && arenaUsed + length > memoryBytes { try spill() }
        if arenaUsed + length > arena.count {
            // Doubled up to the bound (a larger record gets room of its own size). Through
            // `malloc`, whose failure is told: under an address-space limit a little below a
            // run's need, Swift's allocation trapped here at the run's end (rv77b: status 134
            // and a crash dump where operations.md promises exit 3 and what was missing).
            // `deallocate` frees it as it frees Swift's own (`free`, alignment 16).
            let size = max(arenaUsed + length, min(arena.count * 2, memoryBytes))
            guard let raw = malloc(size) else {
                throw SinkError("the run's scratch could not have \(size >> 10) KiB more memory: the run needs more memory or address space (ulimit -v); raise it and run the same days again")
            }
            let larger = UnsafeMutableRawBufferPointer(start: raw, count: size)
            larger.copyMemory(from: UnsafeRawBufferPointer(rebasing: arena[0..<arenaUsed]))
            arena.deallocate()
            arena = larger
        }
    }

    /// Copies a record into room `makeRoom` made.
    private func store(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) {
        let base = arena.baseAddress! + arenaUsed
        Self.putHeader(into: base, key: key.count, value: value.count)
        if key.count > 0 { (base + 8).copyMemory(from: key.baseAddress!, byteCount: key.count) }
        if value.count > 0 { (base + 8 + key.count).copyMemory(from: value.baseAddress!, byteCount: value.count) }
        offsets.append(arenaUsed)
        arenaUsed += 8 + key.count + value.count
        sortedCache = nil
    }

    /// Calls `body` with every record's key and value, sorted by key, records of equal keys in
    /// the order they were added. The bytes are valid during the call only.
    func forEach(_ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws(SinkError) -> Void) throws(SinkError) {
        var sources: [RecordSource] = []
        for run in runs { sources.append(try run.reader()) }
        if !offsets.isEmpty { sources.append(MemorySource(arena: UnsafeRawBufferPointer(arena), order: sortedOffsets())) }
        try Self.merge(sources, body)
    }

    /// Merges sources (each sorted; earlier sources hold earlier records) into one sorted
    /// stream, a tie going to the earlier source: a binary heap of the sources by their
    /// current records, compared by their keys' first eight bytes first.
    private static func merge(_ sources: [RecordSource],
                              _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws(SinkError) -> Void) throws(SinkError) {
        var heap: [RecordSource] = []
        for (rank, source) in sources.enumerated() where try source.advance() {
            source.rank = rank
            heap.append(source)
        }
        if heap.count == 1 {
            let only = heap[0]
            repeat { try body(only.key, only.value) } while try only.advance()
            return
        }
        @inline(__always) func less(_ a: RecordSource, _ b: RecordSource) -> Bool {
            if a.prefix != b.prefix { return a.prefix < b.prefix }
            let order = compare(a.key, b.key)
            return order != 0 ? order < 0 : a.rank < b.rank
        }
        func siftDown(_ start: Int) {
            var parent = start
            while true {
                let left = 2 * parent + 1
                guard left < heap.count else { return }
                var child = left
                if left + 1 < heap.count && less(heap[left + 1], heap[left]) { child = left + 1 }
                guard less(heap[child], heap[parent]) else { return }
                heap.swapAt(child, parent)
                parent = child
            }
        }
        for index in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(index) }
        while !heap.isEmpty {
            let top = heap[0]
            try body(top.key, top.value)
            if try !top.advance() {
                let last = heap.removeLast()
                guard !heap.isEmpty else { return }
                heap[0] = last
            }
            siftDown(0)
        }
    }

    /// Sorts what is in memory and appends it as a run to level 0's file; merges the runs of
    /// a level that reached `fanIn` into one run of the next, and lets their file go (the
    /// last reference to it is theirs).
    private func spill() throws(SinkError) {
        let file = try levelFile(0)
        let start = file.size
        let raw = UnsafeRawBufferPointer(arena)
        for offset in sortedOffsets() {
            try file.append(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + Self.recordLength(raw, offset))]))
        }
        try file.seal()
        runs.append(Run(file: file, start: start, end: file.size, level: 0))
        arenaUsed = 0
        offsets.removeAll(keepingCapacity: true)
        sortedCache = nil
        while runs.count >= fanIn {
            let level = runs[runs.count - 1].level
            let tail = runs.suffix(fanIn)
            guard tail.allSatisfy({ $0.level == level }) else { break }
            let merged = try levelFile(level + 1)
            let start = merged.size
            var sources: [RecordSource] = []
            for run in tail { sources.append(try run.reader()) }
            try Self.merge(sources) { key, value throws(SinkError) in try Self.write(key: key, value: value, to: merged) }
            try merged.seal()
            runs.removeLast(fanIn)
            runs.append(Run(file: merged, start: start, end: merged.size, level: level + 1))
        }
    }

    /// The file the runs of `level` are appended to: theirs, or a new one when it has none.
    private func levelFile(_ level: Int) throws(SinkError) -> TemporaryFile {
        if let run = runs.last(where: { $0.level == level }) { return run.file }
        return try TemporaryFile(purpose: purpose)
    }

    private static func write(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, to file: TemporaryFile) throws(SinkError) {
        var header: UInt64 = 0
        try withUnsafeMutableBytes(of: &header) { raw throws(SinkError) in
            putHeader(into: raw.baseAddress!, key: key.count, value: value.count)
            _ = try file.append(UnsafeRawBufferPointer(raw))
        }
        try file.append(key)
        try file.append(value)
    }

    /// A record's eight-byte header: its key's and its value's lengths as little-endian 32-bit
    /// words, in memory and in run files alike (what `recordLength` and `record` read).
    private static func putHeader(into base: UnsafeMutableRawPointer, key: Int, value: Int) {
        base.storeBytes(of: UInt32(key).littleEndian, as: UInt32.self)
        (base + 4).storeBytes(of: UInt32(value).littleEndian, as: UInt32.self)
    }

    /// `offsets` sorted by key, then by offset (the order added). Each is paired with its
    /// key's first eight bytes as a big-endian word, which decides most comparisons.
    private func sortedOffsets() -> [Int] {
        if let sortedCache { return sortedCache }
        let raw = UnsafeRawBufferPointer(arena)
        var keyed = offsets.map { offset in (prefix: Self.prefix(Self.key(raw, offset)), offset: offset) }
        keyed.sort { a, b in
            if a.prefix != b.prefix { return a.prefix < b.prefix }
            let order = Self.compare(Self.key(raw, a.offset), Self.key(raw, b.offset))
            return order != 0 ? order < 0 : a.offset < b.offset
        }
        let sorted = keyed.map(\.offset)
        sortedCache = sorted
        return sorted
    }

    /// The length of the whole record at `offset` of `raw` (the layout `putHeader` starts):
    /// its header's eight bytes must be there, the rest may not be yet.
    @inline(__always)
    fileprivate static func recordLength(_ raw: UnsafeRawBufferPointer, _ offset: Int) -> Int {
        8 + Int(raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian)
            + Int(raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self).littleEndian)
    }

    /// The key of the record at `offset` of `raw`, from its header's first word only: what
    /// the sort's comparisons read.
    @inline(__always)
    private static func key(_ raw: UnsafeRawBufferPointer, _ offset: Int) -> UnsafeRawBufferPointer {
        let length = Int(raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian)
        return UnsafeRawBufferPointer(rebasing: raw[(offset + 8)..<(offset + 8 + length)])
    }

    /// The key and the value of the whole record at `offset` of `raw`.
    @inline(__always)
    fileprivate static func record(_ raw: UnsafeRawBufferPointer, _ offset: Int) -> (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        let key = key(raw, offset)
        let valueStart = offset + 8 + key.count
        let valueLength = Int(raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self).littleEndian)
        return (key, UnsafeRawBufferPointer(rebasing: raw[valueStart..<(valueStart + valueLength)]))
    }

    /// The first eight bytes as a big-endian number, zeros after a shorter key: ordered as
    /// `compare` orders keys whenever two prefixes differ.
    @inline(__always)
    fileprivate static func prefix(_ key: UnsafeRawBufferPointer) -> UInt64 {
        if key.count >= 8 { return UInt64(bigEndian: key.loadUnaligned(as: UInt64.self)) }
        var value: UInt64 = 0
        for index in 0..<8 { value = value << 8 | UInt64(index < key.count ? key[index] : 0) }
        return value
    }

    /// `memcmp` of the common length, then the shorter first.
    @inline(__always)
    static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let common = min(a.count, b.count)
        if common > 0 {
            let order = memcmp(a.baseAddress!, b.baseAddress!, common)
            if order != 0 { return Int(order) }
        }
        return a.count - b.count
    }
}

/// One sorted stream of records for `SpillSorter.merge` (internal, not private, so that tests
/// can read a run file they cut short).
class RecordSource {
    /// The current record's key and value, valid until the next `advance`.
    var key = UnsafeRawBufferPointer(start: nil, count: 0) {
        didSet { prefix = SpillSorter.prefix(key) }
    }
    var value = UnsafeRawBufferPointer(start: nil, count: 0)
    /// `SpillSorter.prefix` of `key`.
    var prefix: UInt64 = 0
    /// The source's place among those merged: the earlier wins a tie.
    var rank = 0
    /// Moves to the next record; false at the end.
    func advance() throws(SinkError) -> Bool { false }
}

/// The records in memory, in sorted order (the sorter adds nothing while it is read).
private final class MemorySource: RecordSource {
    private let arena: UnsafeRawBufferPointer
    private let order: [Int]
    private var index = -1

    init(arena: UnsafeRawBufferPointer, order: [Int]) {
        self.arena = arena
        self.order = order
    }

    override func advance() throws(SinkError) -> Bool {
        index += 1
        guard index < order.count else { return false }
        (key, value) = SpillSorter.record(arena, order[index])
        return true
    }
}

/// A run read back in large sequential reads: the bytes of `file` from `start` to `end`
/// (the whole file unless told).
final class RunReader: RecordSource {
    private let file: TemporaryFile
    private let end: Int
    private var buffer: UnsafeMutableRawBufferPointer
    /// File offset of `buffer`'s first byte, bytes of it filled, and where the next record starts in it.
    private var bufferStart: Int
    private var filled = 0
    private var position = 0

    init(_ file: TemporaryFile, start: Int = 0, end: Int? = nil, bufferBytes: Int = 64 << 10) throws(SinkError) {
        self.file = file
        self.end = end ?? file.size
        bufferStart = start
        buffer = .allocate(byteCount: bufferBytes, alignment: 16)
    }

    deinit { buffer.deallocate() }

    override func advance() throws(SinkError) -> Bool {
        guard try available(8) else {
            // The end of the file, or bytes left that are too few for a record's header.
            guard bufferStart + position >= end else { throw cutShort }
            return false
        }
        let length = SpillSorter.recordLength(UnsafeRawBufferPointer(buffer), position)
        // (`available` may read the buffer again from the record's start.)
        guard try available(length) else { throw cutShort }
        (key, value) = SpillSorter.record(UnsafeRawBufferPointer(buffer), position)
        position += length
        return true
    }

    /// A file that ends inside a record's header, key or value: only this process writes it,
    /// so it was changed or cut while the run read it.
    private var cutShort: SinkError {
        SinkError("the temporary file of \(file.purpose) ends inside a record (it was changed while the run read it)")
    }

    /// Whether `count` bytes from `position` are in the buffer, reading more (and growing the
    /// buffer for a record larger than it) when they are not; false at the end of the run.
    /// Nothing past `end` is read: the next run of the file may follow it.
    private func available(_ count: Int) throws(SinkError) -> Bool {
        if position + count <= filled { return true }
        let consumed = bufferStart + position
        guard consumed < end else { return false }
        if count > buffer.count {
            let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, buffer.count * 2), alignment: 16)
            buffer.deallocate()
            buffer = larger
        }
        bufferStart = consumed
        position = 0
        filled = try file.read(at: bufferStart, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<min(buffer.count, end - consumed)]))
        return count <= filled
    }
}
