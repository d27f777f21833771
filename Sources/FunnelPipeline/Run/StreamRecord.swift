import FunnelCore
import FunnelTransform

/// A kept, normalized record as the reader hands it to the sessionizer: with the group it is
/// stored under and its encoding for the history, both made on the reader's thread so that
/// the sessionizer's thread only plans and writes.
struct StreamRecord {
    var record: Record
    /// `Transformer.group(of:)`: the client session (`s:ID`) or the visitor (`v:KEY`).
    var group: String
    /// `RecordCoding.encode(record)`.
    var data: [UInt8]

    init(_ record: Record) {
        self.record = record
        group = Transformer.group(of: record)
        data = RecordCoding.encode(record)
    }
}
