/// One file's records in the order the merge of a day's files takes them: as the file gives
/// them, except that a record far ahead of the file's time is set aside until the file has
/// caught up with it.
///
/// The merge takes the earliest head of the files it reads, so a record far ahead of its
/// neighbours (an event from a browser whose clock is hours fast, a line with a bad clock)
/// used to hold its whole file back until every other file had passed its time; the file's
/// records then all came late, after the sessions they belong to had been flushed as
/// closed, and were rebuilt from the history. The output was the same, but one event six
/// hours ahead in the bench's M events cost 15 to 34% more time and 53 MiB more memory, one
/// twenty hours ahead 74% and 65 MiB. Set aside, it waits alone.
///
/// A record is far ahead when its time is more than `tolerance` (the session timeout: what
/// would make the merged stream pass open sessions) after the latest time taken from the
/// file. A file that really jumps ahead (a quiet hour on a small site, a gap in the logs)
/// gives several such records in a row: after `jumpRun` of them the file is taken as it
/// comes, the ones set aside first, so nothing waits for long. At most `maxParked` records
/// are set aside at once; past it, records go as they come, as before. Records come out in
/// time order among those set aside; sessions never depend on the order records are read
/// in, only on how many times a visitor is rebuilt.
struct AheadOrder {
    let tolerance: Int64
    /// Records far ahead in a row that make a jump rather than strays.
    static let jumpRun = 8
    /// About 4 MiB of records per file at most (a few hundred bytes each).
    static let maxParked = 10_000

    /// Set aside, latest first, so that the earliest is taken from the end.
    private var parked: [StreamRecord] = []
    /// The file's next record in its own order, read but not yet taken.
    private var candidate: StreamRecord?
    private var ended = false
    /// The latest time taken from the file.
    private var time: Int64?
    /// Records far ahead read one after another.
    private var aheadRun = 0
    /// Records set aside so far (for tests and the curious).
    private(set) var parkedCount = 0

    init(tolerance: Int64) {
        self.tolerance = max(0, tolerance)
    }

    /// The file's next record in merge order, reading the file through `read` (nil at its
    /// end) as far as needed; nil once the file and what was set aside are both done.
    mutating func next(_ read: () -> StreamRecord?) -> StreamRecord? {
        if candidate == nil && !ended {
            while let record = read() {
                let ahead = time.map { record.timestamp > $0 &+ tolerance } ?? false
                if ahead && aheadRun < Self.jumpRun && parked.count < Self.maxParked {
                    aheadRun += 1
                    park(record)
                    continue
                }
                aheadRun = ahead ? aheadRun + 1 : 0
                candidate = record
                break
            }
            if candidate == nil { ended = true }
        }
        let record: StreamRecord
        if let earliest = parked.last, candidate.map({ earliest.timestamp < $0.timestamp }) ?? true {
            record = parked.removeLast()
        } else if let next = candidate.take() {
            record = next
        } else {
            return nil
        }
        time = max(time ?? record.timestamp, record.timestamp)
        return record
    }

    /// Inserts `record` keeping `parked` latest first (records of equal time keep their order
    /// of reading: the one read first comes out first).
    private mutating func park(_ record: StreamRecord) {
        var low = 0, high = parked.count
        while low < high {
            let middle = (low + high) / 2
            if parked[middle].timestamp > record.timestamp { low = middle + 1 } else { high = middle }
        }
        parked.insert(record, at: low)
        parkedCount += 1
    }
}
