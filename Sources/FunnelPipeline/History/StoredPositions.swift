import FunnelCore
#if canImport(Glibc)
import Glibc
#endif

/// Which of some positions (`RecordPosition`) occur among a group's stored records, found in
/// the stored bytes (`RecordCoding`): no record is decoded, and a string is made only for a
/// stored position in the file of a wanted one.
///
/// A day run again brings lines the history already holds. For a visitor with a long past,
/// knowing which of its new records those are, without reading its history into records, is
/// what lets the run leave them out and continue the visitor instead of rebuilding it
/// (`HistoryPlanner`). Most of such a visitor's stored records are of other days' files, and
/// are passed over by their file part alone.
struct StoredPositions {
    private let wanted: Set<String>
    /// The file parts (`RecordPosition.prefix`) of the wanted positions: everything up to and
    /// including a position's last `|`.
    private let files: [[UInt8]]
    private(set) var found: Set<String> = []

    init(_ wanted: Set<String>) {
        self.wanted = wanted
        var files = Set<[UInt8]>()
        for position in wanted {
            let bytes = Array(position.utf8)
            if let bar = bytes.lastIndex(of: UInt8(ascii: "|")) { files.insert(Array(bytes[...bar])) }
        }
        self.files = Array(files)
    }

    /// Looks at the records of one stored value: a record's encoding, or a block of several.
    mutating func scan(_ value: UnsafeBufferPointer<UInt8>) {
        guard !wanted.isEmpty else { return }
        RecordCoding.forEachEncoding(in: value) { encoding in
            guard let position = RecordCoding.position(in: encoding), isInWantedFile(position) else { return }
            let text = String(decoding: position, as: UTF8.self)
            if wanted.contains(text) { found.insert(text) }
        }
    }

    mutating func scan(_ value: [UInt8]) {
        value.withUnsafeBufferPointer { scan($0) }
    }

    private func isInWantedFile(_ position: UnsafeBufferPointer<UInt8>) -> Bool {
        files.contains { file in
            file.count < position.count
                && file.withUnsafeBufferPointer { memcmp($0.baseAddress!, position.baseAddress!, file.count) == 0 }
                && !position[file.count...].contains(UInt8(ascii: "|"))
        }
    }
}
