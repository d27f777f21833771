import FunnelCore
import FunnelTransform

/// A kept, normalized record as the reader hands it to the sessionizer: the group it is
/// stored under, its time, and its encoding for the history, made on the reader's thread.
/// Held records of open sessions are kept in this form, a third of a `Record`'s memory, and
/// decoded when they are flushed.
struct StreamRecord {
    /// `Transformer.group(of:)`: the client session (`s:ID`) or the visitor (`v:KEY`), hashed
    /// here on the reader's thread for the session stage's table of waiting groups.
    var group: HashedText
    var timestamp: Int64
    /// `RecordCoding.encode(record)`.
    var data: [UInt8]

    /// What a record moved out of a list (`exchange`) leaves in its place: nothing to free.
    static let empty = StreamRecord(group: "", timestamp: 0, data: [])

    init(_ record: Record) {
        group = HashedText(Transformer.group(of: record))
        timestamp = record.timestamp
        data = RecordCoding.encode(record)
    }

    /// What `init(_:)` makes of the record an access-log line would become, from
    /// `Transformer.encode(_:userAgent:positionPrefix:line:)`.
    init(group: String, timestamp: Int64, data: [UInt8]) {
        self.group = HashedText(group)
        self.timestamp = timestamp
        self.data = data
    }
}

/// One group's held records as the session stage hands them on to be planned: chunks are
/// lists of these, each group once, since they are only walked (see `SessionStage.flush`).
typealias HeldGroup = (group: HashedText, records: [StreamRecord])
