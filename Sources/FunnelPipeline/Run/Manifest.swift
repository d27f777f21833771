import FunnelCore
import FunnelReaders
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
        /// `settings` without the path pattern (`ReadingSettings.fingerprint(_:_:pattern:)`):
        /// what the file's records depend on, as a pattern now only names its lines and a
        /// file keeps the names it had (`keptPositions(of:)`). Nil in manifests written
        /// before 2026-12-05's evening: `settings` is compared then.
        var lineSettings: String?
        var contentBytes: Int64?
        var contentCRC32: UInt?
        /// The most records any reading of the file kept, so the most the history may hold of
        /// it: a file none of whose readings kept a record (every line rejected under a wrong
        /// `format`) can be read again with mended settings without a conflict. Nil in
        /// manifests written before 2026-12-05, and after such a one: then it is not known.
        var kept: Int?
        /// What names the file's lines in the history (`InputFile.positionPrefix`: its
        /// source's and pattern's places in the pipeline file, or `--input`, its day and its
        /// name); nil in manifests written before 2026-12-05.
        var position: String?

        /// Its size and CRC-32.
        var content: Content { Content(bytes: bytes, crc32: crc32) }

        /// Its content's length and CRC-32, when the entry has them.
        var lines: Content? {
            contentBytes.flatMap { bytes in contentCRC32.map { Content(bytes: bytes, crc32: $0) } }
        }
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
        /// Read before by a version that kept no name for its lines (an entry without
        /// `position`, before 2026-12-05's evening), with a record kept: named now as this run
        /// names it, which is right unless its source's or pattern's place changed since, or
        /// it was read as `--input` either time (rv73c: then stored twice, without a word).
        var unnamedBefore = false
    }

    private(set) var entries: [String: Entry] = [:]
    /// The files this run read for the first time, by their bytes (non-empty, with a record
    /// kept): `write` names any other file of the manifest with the same bytes.
    private var newContents: [Content: String] = [:]
    /// The same files by their content (the decompressed bytes their lines are read from): a
    /// log compressed after a run read it, or a plain and a gzip copy of one, has other bytes
    /// and the same lines.
    private var newLines: [Content: String] = [:]
    /// The key of the entry that holds each position: the history knows a file's lines by
    /// their position, so a reading is compared with whatever file last held it.
    private var byPosition: [String: String] = [:]

    /// The file read, open, when only some of its entries were (`init(folder:file:for:)`):
    /// `write` copies its other lines as they are, from the same file even if another took
    /// its name meanwhile (a review: a rebuild's manifest renamed over it during a run lost
    /// entries and doubled others).
    private var source: OpenManifest?
    /// The lines of `source` that `write` leaves out, in order: the entries read (held in
    /// `entries`, changed or not, or dropped by `record`) and lines that are no entry.
    private var linesTaken: [Int] = []
    /// Why a manifest that is there could not be read (not "no such file"): `write` refuses
    /// to replace it with this run's entries alone, which would forget every other file.
    private(set) var unreadable: String?
    /// `unreadable` for want of file descriptors: the remedy is the limit, not the file (rv70d).
    private(set) var outOfDescriptors = false
    /// The paths of the entries read: `write` copies no other line of them (an earlier line of
    /// a path read for a later line's position came back after `record` dropped the path; a
    /// review).
    private var pathsRead: Set<String> = []

    /// A manifest file held open from its reading to its writing.
    private final class OpenManifest {
        let path: String
        let fd: Int32
        init(path: String, fd: Int32) { (self.path, self.fd) = (path, fd) }
        deinit { close(fd) }
    }

    /// Reads the manifest of `folder`; a missing one is an empty manifest, and a line that is
    /// not an entry is left out. With `files`, only the entries a run of those files can ask
    /// for are kept: those of their paths (resolved or as spelled), of their positions, and
    /// any later line of a path kept (the last line of a path is its entry); `write` copies
    /// the other lines. A manifest grows by a line a file for good, and until 2026-12-05 every
    /// run held the whole of it: a review's night of 1,442 minute dumps added 364 KB, so that
    /// after a year (137 MB) each run took 4.2 s and 505 MiB for it. Read a line at a time
    /// with the byte scanner of the NDJSON reader (until 2026-12-05 searches of each line's
    /// text took 42 us an entry: 88 ms a day for 2,100 files, a review's 1,096-day backfill
    /// slowing from 40 to 130 ms a day).
    init(folder: String, file: String = Self.fileName, for files: [InputFile]? = nil) {
        let path = folder + "/" + file
        // Without waiting: a FIFO in its place hung the run (a review).
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let code = errno
            if code != ENOENT { unreadable = "cannot read the manifest \(path): \(String(cString: strerror(code)))" }
            outOfDescriptors = SinkError.isOutOfDescriptors(code)
            return
        }
        let opened = OpenManifest(path: path, fd: fd)
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            unreadable = "cannot read the manifest \(path): it is not a file"
            return
        }
        let wanted = files.map { files in
            (paths: Set(files.map(\.manifestKey) + files.map(\.path)), positions: Set(files.map(\.positionPrefix)))
        }
        var taken: [Int] = []
        var entries: [String: Entry] = [:]
        var byPosition: [String: String] = [:]
        /// Whether the run may ask for a line of `path` at `position`: every line without
        /// `files`; else one of their paths or positions, or a later line of a path held.
        func asked(_ path: String, _ position: String?) -> Bool {
            guard let wanted else { return true }
            return wanted.paths.contains(path) || position.map(wanted.positions.contains) == true || entries[path] != nil
        }
        do throws(SinkError) {
            try Self.eachLine(of: fd, path: path) { number, line in
                if wanted != nil, let (path, position, _) = Self.quickKeys(line), !asked(path, position) { return }
                guard let entry = Self.entry(line) else {
                    taken.append(number)
                    return
                }
                guard asked(entry.path, entry.position) else { return }
                taken.append(number)
                entries[entry.path] = entry
                if let position = entry.position { byPosition[position] = entry.path }
            }
        } catch {
            unreadable = error.message
            return
        }
        self.entries = entries
        self.byPosition = byPosition
        if wanted != nil {
            source = opened
            linesTaken = taken
            pathsRead = Set(entries.keys)
        }
    }

    /// How many files the whole manifest at `folder/file` lists whose records runs kept (an
    /// entry without its count, of versions before it, is taken as kept); 0 without a
    /// readable manifest. Read only when a history holds nothing: a run's `Manifest` holds the
    /// entries of its own files alone, and a count of those said 0 on every new night (rv77a:
    /// the warning of a Redis that lost an upgraded folder's runs never came).
    static func filesKept(folder: String, file: String = Self.fileName) -> Int {
        let path = folder + "/" + file
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return 0 }
        var kept = 0
        try? eachLine(of: fd, path: path) { _, line in
            if let entry = entry(line), (entry.kept ?? 1) > 0 { kept += 1 }
        }
        return kept
    }

    /// Calls `body` with each line of the open file `fd` (at `path`) from its start (without
    /// its newline) and its number from 0, holding a line at a time.
    private static func eachLine(of fd: Int32, path: String, _ body: (Int, UnsafeBufferPointer<UInt8>) throws(SinkError) -> Void) throws(SinkError) {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var filled = 0
        var number = 0
        var offset: off_t = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + filled, $0.count - filled, offset) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SinkError("cannot read the manifest \(path): \(String(cString: strerror(errno)))")
            }
            offset += off_t(count)
            filled += count
            var start = 0
            try buffer.withUnsafeBufferPointer { all throws(SinkError) in
                while let end = all[start..<filled].firstIndex(of: 0x0A) {
                    try body(number, UnsafeBufferPointer(rebasing: all[start..<end]))
                    number += 1
                    start = end + 1
                }
                if count == 0, start < filled {
                    try body(number, UnsafeBufferPointer(rebasing: all[start..<filled]))
                    number += 1
                    start = filled
                }
            }
            if count == 0 { return }
            if start > 0 {
                buffer.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: $0.baseAddress! + start, byteCount: filled - start) }
                filled -= start
            } else if filled == buffer.count {
                buffer += [UInt8](repeating: 0, count: buffer.count)  // a line longer than the buffer
            }
        }
    }

    /// The path, position, size and CRC-32 of a line as `write` lays it out (the path first,
    /// the size and CRC-32 after it, the position last, neither with an escape), without
    /// reading the rest:
    /// most lines of a long manifest are of other files, and the scanner took 1.4 us a line
    /// (0.73 s for 526,000). Nil for any other line, which is read whole.
    static func quickKeys(_ line: UnsafeBufferPointer<UInt8>) -> (path: String, position: String?, content: Content)? {
        let head = Array(#"{"path":""#.utf8)
        guard line.count > head.count + 2, line.starts(with: head) else { return nil }
        guard let pathEnd = line[head.count...].firstIndex(where: { $0 == 0x22 || $0 == 0x5C }), line[pathEnd] == 0x22 else { return nil }
        let path = String(decoding: UnsafeBufferPointer(rebasing: line[head.count..<pathEnd]), as: UTF8.self)
        // `"bytes":N,"crc32":C,` after the path.
        var at = pathEnd
        guard let bytes = number(in: line, after: #"","bytes":"#, at: &at), at < line.count, line[at] == 0x2C,
              let crc = number(in: line, after: #","crc32":"#, at: &at), at < line.count, line[at] == 0x2C else { return nil }
        let content = Content(bytes: bytes, crc32: UInt(crc))
        let key = Array(#","position":""#.utf8)
        guard line[line.count - 2] == 0x22, line[line.count - 1] == 0x7D else {
            return Self.mentionsPosition(line) ? nil : (path, nil, content)
        }
        // The position's value: back from the closing quote to the one that opens it.
        var start = line.count - 2
        while start > pathEnd, line[start - 1] != 0x22 {
            if line[start - 1] == 0x5C { return nil }
            start -= 1
        }
        guard start - key.count > pathEnd, line[(start - key.count)..<start].elementsEqual(key) else {
            return Self.mentionsPosition(line) ? nil : (path, nil, content)
        }
        return (path, String(decoding: UnsafeBufferPointer(rebasing: line[start..<(line.count - 2)]), as: UTF8.self), content)
    }

    /// The content's length and CRC-32 of a line as `write` lays it out
    /// (`"content_bytes":N,"content_crc32":C`), without reading the rest; nil without them.
    static func quickLines(_ line: UnsafeBufferPointer<UInt8>) -> Content? {
        let key = Array(#","content_bytes":"#.utf8)
        // From comma to comma (`memchr`): a generic search of the line took 12 us a line, 1.2 s
        // for a manifest of 100,000 files (a measurement of this form's first version).
        guard let base = line.baseAddress else { return nil }
        var at = 0
        while at < line.count, let hit = memchr(base + at, 0x2C, line.count - at) {
            at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if line[at...].starts(with: key) { break }
            at += 1
        }
        guard let bytes = number(in: line, after: #","content_bytes":"#, at: &at),
              let crc = number(in: line, after: #","content_crc32":"#, at: &at) else { return nil }
        return Content(bytes: bytes, crc32: UInt(crc))
    }

    /// The decimal number after `key` at `at` in a line, `at` left past its digits; nil when
    /// `key` is not there or no digit follows it.
    private static func number(in line: UnsafeBufferPointer<UInt8>, after key: String, at: inout Int) -> Int64? {
        let key = Array(key.utf8)
        guard at < line.count, line[at...].starts(with: key) else { return nil }
        at += key.count
        let first = at
        var value: Int64 = 0
        while at < line.count, (0x30...0x39).contains(line[at]), value < Int64.max / 100 {
            value = value * 10 + Int64(line[at] - 0x30)
            at += 1
        }
        return at > first ? value : nil
    }

    private static func mentionsPosition(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        let word = Array(#""position""#.utf8)
        guard line.count >= word.count else { return false }
        return (0...(line.count - word.count)).contains { line[$0..<($0 + word.count)].elementsEqual(word) }
    }

    /// One line's entry; nil unless it holds a path, a size and a CRC-32.
    private static func entry(_ line: UnsafeBufferPointer<UInt8>) -> Entry? {
        let scanner = JSONScanner(line)
        var path: String?, settings: String?, lineSettings: String?, position: String?
        var numbers: [Int64?] = Array(repeating: nil, count: numberNames.count)
        do throws(JSONScanner.Failure) {
            try scanner.forEachMember { key, _, value throws(JSONScanner.Failure) in
                let name = scanner.bytes(key)
                switch value {
                case .string(let range, let escaped):
                    if name.elementsEqual("path".utf8) { path = scanner.decodeString(range, escaped: escaped) }
                    else if name.elementsEqual("settings".utf8) { settings = scanner.decodeString(range, escaped: escaped) }
                    else if name.elementsEqual("line_settings".utf8) { lineSettings = scanner.decodeString(range, escaped: escaped) }
                    else if name.elementsEqual("position".utf8) { position = scanner.decodeString(range, escaped: escaped) }
                case .number(let range):
                    if let slot = numberNames.firstIndex(where: { name.elementsEqual($0.utf8) }) {
                        numbers[slot] = Int64(String(decoding: scanner.bytes(range), as: UTF8.self))
                    }
                default: break
                }
            }
        } catch {
            return nil
        }
        guard let path, let bytes = numbers[0], let crc = numbers[1].flatMap(UInt.init(exactly:)) else { return nil }
        return Entry(path: path, bytes: bytes, crc32: crc, runs: numbers[2].flatMap(Int.init(exactly:)) ?? 1, lastRun: numbers[3] ?? 0,
                     settings: settings, lineSettings: lineSettings, contentBytes: numbers[4], contentCRC32: numbers[5].flatMap(UInt.init(exactly:)),
                     kept: numbers[6].flatMap(Int.init(exactly:)), position: position)
    }

    /// The numeric members of an entry, in the order `entry` reads them.
    private static let numberNames = ["bytes", "crc32", "runs", "last_run", "content_bytes", "content_crc32", "kept"]

    /// The positions `files` keep from the runs that read them before (nil: the one their
    /// place gives, `InputFile.positionPrefix`). A file is known by its resolved path: given
    /// as `--input` another way or in another order, matched by a pattern once and given as
    /// `--input` the other time, or under a pattern that moved in the pipeline file, it keeps
    /// the position its lines are stored under, so that reading it again is a repeat, not a
    /// second copy of every record (until 2026-12-05 each of those was said, exit 2, and its
    /// records stored twice; a review). Two files never share a position: where the kept
    /// positions and the others meet, the files that met give theirs up and take their
    /// places' (then said as before, by `record`). Stdin keeps none (named by what it holds).
    func keptPositions(of files: [InputFile]) -> [String?] {
        var kept: [String?] = files.map { file in
            guard file.path != "-", let entry = entries[file.manifestKey], let position = entry.position,
                  position != file.positionPrefix, byPosition[position] == file.manifestKey else { return nil }
            return position
        }
        while true {
            var holders: [String: [Int]] = [:]
            for (index, file) in files.enumerated() { holders[kept[index] ?? file.positionPrefix, default: []].append(index) }
            let giving = holders.values.filter { $0.count > 1 }.joined().filter { kept[$0] != nil }
            if giving.isEmpty { return kept }
            for index in giving { kept[index] = nil }
        }
    }

    /// A length and CRC-32 of a file's bytes, or of its content (the decompressed bytes), as
    /// its reading gives them (`Reading`).
    struct Content: Hashable {
        var bytes: Int64
        var crc32: UInt
    }

    /// The length of the file's content when a run last read it (or the file that held its
    /// position), if one did (and said).
    func previousContentBytes(of file: InputFile) -> Int64? {
        previous(key: file.manifestKey, spelled: file.path, position: file.positionPrefix)?.entry.contentBytes
    }

    /// What names a file in the manifest: its path with links and `.`/`..` resolved, so that
    /// the same file reached from another working folder, by an absolute path or through a
    /// link is known (until 2026-12-05 the path as spelled: a file changed in place and then
    /// run with the pipeline named another way was not called changed). Stdin, and a path
    /// that no longer resolves, as given.
    static func key(_ path: String) -> String {
        guard path != "-", let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The entry a reading is compared with, and the key it is under: the one holding the
    /// same position, whatever file that was (a folder behind a link switched to another
    /// holds other lines at the same positions: until 2026-12-05's first form of keying by
    /// resolved path that went unsaid; a review); else the file's own, by its resolved path,
    /// or in a manifest written before 2026-12-05 by the path as that run spelled it.
    private func previous(key: String, spelled: String, position: String) -> (key: String, entry: Entry)? {
        if let holder = byPosition[position], let entry = entries[holder], entry.position == position { return (holder, entry) }
        if let entry = entries[key] { return (key, entry) }
        return entries[spelled].map { (spelled, $0) }
    }

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
    /// is named in positions by its first line that is not blank (`InputPlan.stdinName`), so a
    /// reading of it is new unless the stream read last from stdin had that name: then it is
    /// compared with that one as a file is (the same lines, grown, or changed: until
    /// 2026-12-06 any reading of stdin was new, and a night's stream whose first line was the
    /// night before's replaced that night's records without a word; a review).
    /// `settings`: the reading's fingerprint (`ReadingSettings`), without the pattern
    /// (`lines`), and with each pattern of the file's source (`anyPattern`: an entry from
    /// before `line_settings` holds the pattern of its reading, which may be another).
    mutating func record(_ file: InputFile, _ reading: Reading, settings: (whole: String, lines: String, anyPattern: [String]), now: Int64) -> Seen? {
        let (path, key, position) = (file.path, file.manifestKey, file.positionPrefix)
        let found = previous(key: key, spelled: path, position: position)
        let previous = found?.entry
        // One entry a file, one file a position: the entry found and the file's spelled one
        // (left by a run before 2026-12-05) give way to this reading's.
        if let found, found.key != key { entries[found.key] = nil }
        if path != key { entries[path] = nil }
        // A file that moved to another position no longer holds its old one (two files of
        // one name whose patterns swapped places each take the other's: the second was
        // compared with the first's new entry, which it then replaced; a review).
        if let old = previous?.position, old != position, byPosition[old] == key { byPosition[old] = nil }
        byPosition[position] = key
        let kept = previous.map { $0.kept.map { max($0, reading.kept) } } ?? reading.kept
        entries[key] = Entry(path: key, bytes: reading.bytes, crc32: reading.crc32, runs: (previous?.runs ?? 0) + 1, lastRun: now,
                             settings: settings.whole, lineSettings: settings.lines, contentBytes: reading.contentBytes, contentCRC32: reading.contentCRC32, kept: kept,
                             position: position)
        // Stdin is compared with the stream read last from stdin when it has its name, or the
        // same bytes under another name (one an earlier version gave it: `-` for a pipeline's
        // path, the blank first line's: a review found such a night piped in again after
        // the upgrade stored twice without a word).
        let sameStdin = previous.map { $0.position == position || ($0.bytes == reading.bytes && $0.crc32 == reading.crc32) } ?? false
        guard let previous, let found, path != "-" || sameStdin else {
            if path != "-", reading.bytes > 0, reading.kept > 0 {
                // The first by path of the run's new files of one content is the one named.
                newContents[Content(bytes: reading.bytes, crc32: reading.crc32)].keepFirst(key)
                newLines[Content(bytes: reading.contentBytes, crc32: reading.contentCRC32)].keepFirst(key)
            }
            return nil
        }
        // The entry of another file that held its position (a folder behind a link switched,
        // another pipeline's file of the same name and place) is named.
        let another = found.key != key && found.key != path
        let readBefore = another ? "read before as \(found.key)" : "read before"
        let sizes = "\(readBefore) with \(previous.bytes) bytes, now \(reading.bytes)"
        var seen: Seen
        if previous.bytes == reading.bytes && previous.crc32 == reading.crc32 {
            seen = Seen(text: "\(readBefore), unchanged")
        } else if let before = previous.contentBytes, let crc = previous.contentCRC32 {
            if reading.contentBytes == before && reading.contentCRC32 == crc {
                seen = Seen(text: sizes + ": the same lines")  // compressed again, say
            } else if reading.contentBytes > before && reading.prefixCRC32 == crc {
                // Lines added at the end are new positions: the history takes them as it should.
                seen = Seen(text: sizes + ": grown since")
            } else if path == "-" {
                seen = Seen(text: sizes + ": changed since", conflict: "it is named by its first line that is not blank (standard input has no name of its own), which is the first line of the stream read from standard input before, and its lines are others: a record is kept by its input's name and line, so they took the places of that stream's lines in the history; give each night's input as a file (--input PATH, or the pipeline's paths), or begin it with a line of its own")
            } else if another {
                // Another file under the same names: a folder behind a link switched, or
                // another pipeline's output folder (a review: two pipelines' `events.ndjson`
                // in one folder were said as one file changed).
                seen = Seen(text: sizes + ": changed since", conflict: "its lines are stored under the names of \(found.key), read before, whose lines were others (another pipeline whose file has its name and place, or a folder that now holds other files: an output folder holds one pipeline's history; give each pipeline its own --output)")
            } else {
                seen = Seen(text: sizes + ": changed since", conflict: "its lines changed since a run read it (not only added to)")
            }
        } else {
            // Read last by a version that kept no content digest: nothing to tell it by.
            seen = Seen(text: sizes + ": changed since")
        }
        // The settings without the pattern where both readings have them: a file given or
        // matched another way keeps its positions, so only how its lines are read matters.
        // An entry from before, with the whole settings alone, is compared with those of any
        // pattern of the source or none: a file matched by a pattern then and given as
        // `--input` now is the same reading (a review: exit 2 after an upgrade).
        let otherSettings = previous.lineSettings.map { $0 != settings.lines }
            ?? previous.settings.map { ![settings.whole, settings.lines].contains($0) && !settings.anyPattern.contains($0) } ?? false
        if otherSettings {
            seen.conflict = seen.conflict.map { $0 + ", and it" } ?? "it"
            seen.conflict! += " was read before with other settings (its source's format, cookies, country_variable, city_variable, dialect, fields or paths, the identity salt, the filters or the line limit; or by a version before 2026-12-05's evening, which read no city from a format holding $http_cf_ipcity)"
        }
        if let before = previous.position, before != position {
            // Its lines are stored again under new positions beside the old ones: every
            // event of it twice (until 2026-12-05 without a word).
            seen.conflict = seen.conflict.map { $0 + ", and it" } ?? "it"
            seen.conflict! += " was read before under another name in the history (its source's or path pattern's place in the pipeline file changed, or it was an --input file given another way, or given as --input once and matched by the pipeline's paths the other time, or it is standard input that a version before 2026-12-06 named otherwise), so its records are stored twice"
        }
        seen.unnamedBefore = previous.position == nil && path != "-" && previous.kept != 0
        if seen.conflict != nil, previous.kept == 0 {
            // No earlier reading kept a record (until 2026-12-05 mending the format of a day
            // whose every line was rejected was called a conflict): nothing stale to replace.
            seen.conflict = nil
            seen.text += "; no earlier reading kept a record of it"
        }
        return seen
    }

    /// Writes the manifest: the lines of the file it was read from that it did not read, as
    /// they were, then its entries, by path. Returns the files this run read for the first
    /// time that hold the same bytes (size and CRC-32) as another file of the manifest, or,
    /// decompressed, the same lines (`bytes` false), with that file, in order: a file renamed or copied after a run read it, or a copy read beside
    /// it, whose lines were stored again under other names (until 2026-12-05's night without a word:
    /// every event twice, exit 0; a review). Nothing is left out on that ground: two different
    /// files may share a size and a CRC-32 (chunks of one size: about one pair in 2^32).
    @discardableResult
    func write(folder: String, file name: String = Self.fileName) throws(SinkError) -> [(new: String, old: String, bytes: Bool)] {
        var sameBytes = Set<[String]>()
        // Each pair, and whether its bytes are the same or only its lines.
        var sameLines = Set<[String]>()
        func compare(_ entry: Entry) {
            if let new = newContents[entry.content], new != entry.path { sameBytes.insert([new, entry.path]) }
            if let lines = entry.lines, let new = newLines[lines], new != entry.path { sameLines.insert([new, entry.path]) }
        }
        if let unreadable {
            throw SinkError("\(unreadable); it was left as it was rather than replaced by this run's files alone: make it readable (or move it away to start a new one) and run again")
        }
        let file = try AtomicFile(path: folder + "/" + name)
        if let source {
            var next = 0
            var copied: [UInt8] = []
            try Self.eachLine(of: source.fd, path: source.path) { number, line throws(SinkError) in
                if next < linesTaken.count, linesTaken[next] == number {
                    next += 1
                    return
                }
                if let quick = Self.quickKeys(line) {
                    if pathsRead.contains(quick.path) { return }
                    let lines = Self.quickLines(line)
                    compare(Entry(path: quick.path, bytes: quick.content.bytes, crc32: quick.content.crc32, runs: 0, lastRun: 0,
                                  contentBytes: lines?.bytes, contentCRC32: lines?.crc32))
                } else if let entry = Self.entry(line) {
                    // A path with an escape, or a line of another layout (a review: a renamed
                    // file whose old name held a quote went unsaid).
                    if pathsRead.contains(entry.path) { return }
                    compare(entry)
                }
                copied.append(contentsOf: line)
                copied.append(0x0A)
                if copied.count >= 1 << 20 {
                    try file.append(copied)
                    copied.removeAll(keepingCapacity: true)
                }
            }
            try file.append(copied)
        }
        for entry in entries.values.sorted(by: { $0.path < $1.path }) {
            compare(entry)
            var out: [UInt8] = []
            out.append(contentsOf: #"{"path":"#.utf8)
            JSONText.appendString(entry.path, to: &out)
            out.append(contentsOf: ",\"bytes\":\(entry.bytes),\"crc32\":\(entry.crc32),\"runs\":\(entry.runs),\"last_run\":\(entry.lastRun)".utf8)
            if let settings = entry.settings { out.append(contentsOf: ",\"settings\":\"\(settings)\"".utf8) }
            if let settings = entry.lineSettings { out.append(contentsOf: ",\"line_settings\":\"\(settings)\"".utf8) }
            if let bytes = entry.contentBytes, let crc = entry.contentCRC32 {
                out.append(contentsOf: ",\"content_bytes\":\(bytes),\"content_crc32\":\(crc)".utf8)
            }
            if let kept = entry.kept { out.append(contentsOf: ",\"kept\":\(kept)".utf8) }
            if let position = entry.position {
                out.append(contentsOf: ",\"position\":".utf8)
                JSONText.appendString(position, to: &out)
            }
            out.append(contentsOf: "}\n".utf8)
            try file.append(out)
        }
        try file.commit()
        // Two new files of one run give one pair: the first by path is the one compared.
        return (sameBytes.map { ($0[0], $0[1], true) } + sameLines.subtracting(sameBytes).map { ($0[0], $0[1], false) })
            .sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map { (new: $0.0, old: $0.1, bytes: $0.2) }
    }
}

private extension Optional where Wrapped == String {
    /// Keeps the first by order of the names given: `key` unless one before it is kept.
    mutating func keepFirst(_ key: String) {
        if let kept = self, kept <= key { return }
        self = key
    }
}
