import FunnelCore
@testable import FunnelPipeline
import FuzzSupport

// What a history stores, damaged: the first byte picks the form, the rest is its bytes. A
// history is a file that outlives the program (a disk fault, a partial copy, another program
// writing to it), so its forms must read as nil, never crash the run. What reads must write
// back the same: a key filter byte for byte (its form is canonical), a visitor row and a
// record as the same value; and a key filter read back takes a key within its bound.
fuzz { input in
    guard let kind = input.first else { return }
    let bytes = Array(input.dropFirst())
    switch kind % 3 {
    case 0:
        if let filter = KeyFilter(encoded: bytes) {
            precondition(filter.encoded() == bytes, "a key filter read back differently")
            _ = filter.mayContain(.group, "s:fuzz")
            // A filter read back takes keys within its bound, even one stored past it.
            var grown = filter
            grown.insert(.event, "e:fuzz")
            precondition(grown.mayContain(.event, "e:fuzz"), "a key added was ruled out")
            precondition(grown.byteCount <= max(filter.byteCount, KeyFilter.defaultMaximumBytes), "a filter grew past its bound")
        }
    case 1:
        if let row = VisitorRow(encoded: bytes) {
            precondition(VisitorRow(encoded: row.encoded()) == row, "a visitor row read back differently")
        }
    default:
        for record in RecordCoding.decodeAll(bytes) {
            let encoded = RecordCoding.encode(record)
            guard let again = RecordCoding.decode(encoded) else { preconditionFailure("a decoded record's encoding does not decode") }
            precondition(RecordCoding.encode(again) == encoded, "a record read back differently")
        }
    }
}
