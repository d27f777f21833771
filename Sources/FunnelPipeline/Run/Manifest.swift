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
    /// A Redis rebuild's manifest, of the staging database's history (`Backfill`).
    static let rebuildFileName = "manifest.rebuild.ndjson"

    struct Entry {
        var path: String
        var bytes: Int64
        var crc32: UInt
        var runs: Int
        var lastRun: Int64
        /// What the file was read with (`ReadingSettings`), and the length and CRC-32 of its
        /// content (the decompressed bytes its lines are read from); nil in manifests written
        /// before 2026-12-05.
        var settings: String?
        var contentBytes: Int64?
        var contentCRC32: UInt?
        /// The most records any reading of the file kept, so the most the history may hold of
        /// it: a file none of whose readings kept a record (every line rejected under a wrong
        /// `format`) can be read again with mended settings without a conflict. Nil in
        /// manifests written before 2026-12-05, and after such a one: then it is not known.
        var kept: Int?
    }

    /// How a file compares with the last run that read it.
    struct Seen {
        /// For the summary: "read before, unchanged", "... grown since", "... changed since".
        var text: String
        /// Why the history cannot simply take this reading: the file's earlier bytes changed,
        /// or it was read with other settings. The history keeps what the earlier reading gave
        /// (a record is stored by its file and line), so the stored sessions may hold stale or
        /// doubled records.
        var conflict: String?
    }

    private(set) var entries: [String: Entry] = [:]

    /// Reads the manifest of `folder`; a missing or unreadable one is an empty manifest.
    init(folder: String, file: String = Self.fileName) {
        guard let text = PipelineLoader.readText(folder + "/" + file) else { return }
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
                                  lastRun: value("last_run").flatMap { Int64($0) } ?? 0, settings: value("settings"),
                                  contentBytes: value("content_bytes").flatMap { Int64($0) }, contentCRC32: value("content_crc32").flatMap { UInt($0) },
                                  kept: value("kept").flatMap { Int($0) })
        }
    }

    /// The length of the file's content when a run last read it, if one did (and said).
    func previousContentBytes(path: String) -> Int64? { entries[path]?.contentBytes }

    /// What a run read of one file: its bytes and their CRC-32, its content's (the
    /// decompressed bytes) and the CRC-32 of the content's first `previousContentBytes(path:)`
    /// bytes (nil when there are fewer now).
    struct Reading {
        var bytes: Int64
        var crc32: UInt
        var contentBytes: Int64
        var contentCRC32: UInt
        var prefixCRC32: UInt?
        /// Records this reading kept (handed on to sessions).
        var kept: Int
    }

    /// Records a file this run read and says how it compares with the last time. Stdin (`-`)
    /// is named in positions by what it holds, so any reading of it is new.
    mutating func record(path: String, _ reading: Reading, settings: String, now: Int64) -> Seen? {
        let previous = entries[path]
        let kept = previous.map { $0.kept.map { max($0, reading.kept) } } ?? reading.kept
        entries[path] = Entry(path: path, bytes: reading.bytes, crc32: reading.crc32, runs: (previous?.runs ?? 0) + 1, lastRun: now,
                              settings: settings, contentBytes: reading.contentBytes, contentCRC32: reading.contentCRC32, kept: kept)
        guard let previous, path != "-" else { return nil }
        let sizes = "read before with \(previous.bytes) bytes, now \(reading.bytes)"
        var seen: Seen
        if previous.bytes == reading.bytes && previous.crc32 == reading.crc32 {
            seen = Seen(text: "read before, unchanged")
        } else if let before = previous.contentBytes, let crc = previous.contentCRC32 {
            if reading.contentBytes == before && reading.contentCRC32 == crc {
                seen = Seen(text: sizes + ": the same lines")  // compressed again, say
            } else if reading.contentBytes > before && reading.prefixCRC32 == crc {
                // Lines added at the end are new positions: the history takes them as it should.
                seen = Seen(text: sizes + ": grown since")
            } else {
                seen = Seen(text: sizes + ": changed since", conflict: "its lines changed since a run read it (not only added to)")
            }
        } else {
            // Read last by a version that kept no content digest: nothing to tell it by.
            seen = Seen(text: sizes + ": changed since")
        }
        if let before = previous.settings, before != settings {
            seen.conflict = seen.conflict.map { $0 + ", and it" } ?? "it"
            seen.conflict! += " was read before with other settings (its source's format, cookies, dialect, fields or paths, the identity salt or the filters)"
        }
        if seen.conflict != nil, previous.kept == 0 {
            // No earlier reading kept a record (until 2026-12-05 mending the format of a day
            // whose every line was rejected was called a conflict): nothing stale to replace.
            seen.conflict = nil
            seen.text += "; no earlier reading kept a record of it"
        }
        return seen
    }

    func write(folder: String, file name: String = Self.fileName) throws(SinkError) {
        let file = try AtomicFile(path: folder + "/" + name)
        for entry in entries.values.sorted(by: { $0.path < $1.path }) {
            var out: [UInt8] = []
            out.append(contentsOf: #"{"path":"#.utf8)
            JSONText.appendString(entry.path, to: &out)
            out.append(contentsOf: ",\"bytes\":\(entry.bytes),\"crc32\":\(entry.crc32),\"runs\":\(entry.runs),\"last_run\":\(entry.lastRun)".utf8)
            if let settings = entry.settings { out.append(contentsOf: ",\"settings\":\"\(settings)\"".utf8) }
            if let bytes = entry.contentBytes, let crc = entry.contentCRC32 {
                out.append(contentsOf: ",\"content_bytes\":\(bytes),\"content_crc32\":\(crc)".utf8)
            }
            if let kept = entry.kept { out.append(contentsOf: ",\"kept\":\(kept)".utf8) }
            out.append(contentsOf: "}\n".utf8)
            try file.append(out)
        }
        try file.commit()
    }
}
