import FunnelCore
import FunnelWriters
#if canImport(Glibc)
import Glibc
#endif

/// `manifest.ndjson` in the output folder: every input file a run read, with its size and
/// CRC-32, so a file read again (a repeated night, an overlapping backfill) or changed since it
/// was read (a log still being written) is noticed and reported in the summary.
struct Manifest {
    static let fileName = "manifest.ndjson"

    struct Entry {
        var path: String
        var bytes: Int64
        var crc32: UInt
        var runs: Int
        var lastRun: Int64
    }

    private(set) var entries: [String: Entry] = [:]

    /// Reads the manifest of `folder`; a missing or unreadable one is an empty manifest.
    init(folder: String) {
        guard let text = PipelineLoader.readText(folder + "/" + Self.fileName) else { return }
        for line in text.split(separator: "\n") {
            func value(_ name: String) -> String? {
                guard let range = line.firstRange(of: "\"\(name)\":") else { return nil }
                var rest = line[range.upperBound...]
                if rest.first == "\"" {
                    rest = rest.dropFirst()
                    var out = ""
                    var escaped = false
                    for character in rest {
                        if escaped { out.append(character); escaped = false; continue }
                        if character == "\\" { escaped = true; continue }
                        if character == "\"" { break }
                        out.append(character)
                    }
                    return out
                }
                return String(rest.prefix { $0.isNumber })
            }
            guard let path = value("path"), let bytes = value("bytes").flatMap({ Int64($0) }),
                  let crc = value("crc32").flatMap({ UInt($0) }) else { continue }
            entries[path] = Entry(path: path, bytes: bytes, crc32: crc, runs: value("runs").flatMap { Int($0) } ?? 1,
                                  lastRun: value("last_run").flatMap { Int64($0) } ?? 0)
        }
    }

    /// Records a file this run read and says how it compares with the last time.
    mutating func record(path: String, bytes: Int64, crc32: UInt, now: Int64) -> String? {
        let previous = entries[path]
        entries[path] = Entry(path: path, bytes: bytes, crc32: crc32, runs: (previous?.runs ?? 0) + 1, lastRun: now)
        guard let previous else { return nil }
        if previous.bytes == bytes && previous.crc32 == crc32 { return "read before, unchanged" }
        return "read before with \(previous.bytes) bytes, now \(bytes): changed since"
    }

    func write(folder: String) throws(SinkError) {
        let file = try AtomicFile(path: folder + "/" + Self.fileName)
        for entry in entries.values.sorted(by: { $0.path < $1.path }) {
            var out: [UInt8] = []
            out.append(contentsOf: #"{"path":"#.utf8)
            JSONText.appendString(entry.path, to: &out)
            out.append(contentsOf: ",\"bytes\":\(entry.bytes),\"crc32\":\(entry.crc32),\"runs\":\(entry.runs),\"last_run\":\(entry.lastRun)}\n".utf8)
            try file.append(out)
        }
        try file.commit()
    }
}
