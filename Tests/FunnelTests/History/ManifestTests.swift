@testable import FunnelPipeline
import FunnelTestSupport
import FunnelWriters
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `manifest.ndjson` read back as it was written: every run reads it (a backfill's every
/// day), so it is read with the byte scanner; what it held must survive the reading.
struct ManifestTests {
    @Test func aManifestReadsBackAsItWasWritten() throws {
        let folder = TestFiles.temporaryFolder("manifest")
        defer { TestFiles.remove(folder) }
        // As `write` gives them: sorted by path, a path needing escapes, every member, an
        // entry from before content digests (no settings, content or kept), one with zeros.
        let written = #"""
            {"path":"logs/a \"quoted\" \\ path/é.log.gz","bytes":1234,"crc32":4294967295,"runs":3,"last_run":1733400000,"settings":"0123456789abcdef","content_bytes":99999999999,"content_crc32":17,"kept":12,"position":"999000000000|logs/a \"quoted\".log|"}
            {"path":"logs/b.log","bytes":0,"crc32":0,"runs":1,"last_run":0}
            {"path":"logs/c.log","bytes":5,"crc32":6,"runs":2,"last_run":7,"settings":"fedcba9876543210","content_bytes":8,"content_crc32":9,"kept":0}

            """#
        TestFiles.write(folder + "/manifest.ndjson", written)
        let manifest = Manifest(folder: folder)
        #expect(manifest.entries.count == 3)
        #expect(manifest.entries[#"logs/a "quoted" \ path/é.log.gz"#]?.contentBytes == 99_999_999_999)
        #expect(manifest.entries["logs/c.log"]?.kept == 0 && manifest.entries["logs/b.log"]?.kept == nil)
        #expect(manifest.entries.values.compactMap(\.position) == [#"999000000000|logs/a "quoted".log|"#])
        try manifest.write(folder: folder, file: "again.ndjson")
        #expect(TestFiles.readText(folder + "/again.ndjson") == written)
    }

    /// A line that is no entry (cut short by hand, not JSON, without a path, size or CRC-32,
    /// a size that is no whole number) is left out; the others are kept, members in any order.
    @Test func linesThatAreNoEntryAreLeftOut() {
        let folder = TestFiles.temporaryFolder("manifest-bad")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/manifest.ndjson", #"""
            {"path":"cut.log","bytes":1,"crc32":
            not json at all
            {"bytes":1,"crc32":2}
            {"path":"no-crc.log","bytes":1}
            {"path":"fraction.log","bytes":1.5,"crc32":2}
            {"path":"negative-crc.log","bytes":1,"crc32":-2}
            {"crc32":2,"kept":4,"path":"reordered.log","extra":{"a":[1]},"bytes":3}
            """#)
        let manifest = Manifest(folder: folder)
        #expect(manifest.entries.keys.sorted() == ["reordered.log"])
        #expect(manifest.entries["reordered.log"]?.bytes == 3 && manifest.entries["reordered.log"]?.kept == 4)
        #expect(manifest.entries["reordered.log"]?.runs == 1)
    }

    /// A run holds only the entries its files can ask for (of their paths and positions) and
    /// writes the other lines back as they were: a manifest of a year of minute dumps (137 MB)
    /// took 3.6 s and 504 MiB of every run when each held all of it.
    @Test func aRunHoldsOnlyItsFilesEntriesAndKeepsTheOthersLines() throws {
        let folder = TestFiles.temporaryFolder("manifest-some")
        defer { TestFiles.remove(folder) }
        let moved = file("moved.log")
        let mine = file("mine.log")
        let others = [
            #"{"path":"logs/other.log","bytes":1,"crc32":2,"runs":1,"last_run":3,"position":"000000019799|other.log|"}"#,
            #"{"path":"logs/escaped \"one\".log","bytes":1,"crc32":2,"runs":1,"last_run":3}"#,
            #"{"path":"logs/no-position.log","bytes":4,"crc32":5,"runs":1,"last_run":6,"kept":0}"#,
        ]
        // Found by its path; found by the position it held (a file of another name there);
        // a line that is no entry but names one of the run's files.
        let read = [
            #"{"path":"logs/mine.log","bytes":7,"crc32":8,"runs":2,"last_run":9,"position":"000000019800|mine.log|"}"#,
            #"{"path":"logs/was-here.log","bytes":7,"crc32":8,"runs":1,"last_run":9,"position":"\#(moved.positionPrefix)"}"#,
            #"{"path":"logs/mine.log","bytes":"#,
        ]
        TestFiles.write(folder + "/manifest.ndjson", ([others[0], read[0], others[1], read[1], read[2], others[2]]).joined(separator: "\n") + "\n")
        let manifest = Manifest(folder: folder, for: [mine, moved])
        #expect(manifest.entries.keys.sorted() == ["logs/mine.log", "logs/was-here.log"])
        #expect(manifest.previousContentBytes(of: mine) == nil && manifest.entries["logs/mine.log"]?.runs == 2)
        try manifest.write(folder: folder, file: "again.ndjson")
        #expect(TestFiles.readText(folder + "/again.ndjson") == (others + read.prefix(2)).joined(separator: "\n") + "\n")
    }

    @Test func quickKeysReadOnlyTheLinesWriteLaysOut() {
        func keys(_ line: String) -> (String, String?)? {
            var line = line
            return line.withUTF8 { Manifest.quickKeys($0).map { ($0.path, $0.position) } }
        }
        let laidOut = keys(#"{"path":"a/b.log","bytes":1,"crc32":2,"runs":1,"last_run":3,"kept":4,"position":"000000019800|b.log|"}"#)
        #expect(laidOut?.0 == "a/b.log" && laidOut?.1 == "000000019800|b.log|")
        let noPosition = keys(#"{"path":"a/b.log","bytes":1,"crc32":2,"runs":1,"last_run":3}"#)
        #expect(noPosition?.0 == "a/b.log" && noPosition?.1 == nil)
        #expect(keys(#"{"path":"a/\"b\".log","bytes":1,"crc32":2}"#) == nil)
        #expect(keys(#"{"path":"a.log","bytes":1,"crc32":2,"position":"0|\"b\".log|"}"#) == nil)
        #expect(keys(#"{"path":"a.log","position":"0|a.log|","bytes":1,"crc32":2}"#) == nil)
        #expect(keys(#"{"bytes":1,"path":"a.log","crc32":2}"#) == nil)
    }

    private func file(_ name: String, day: Int = 19_800) -> InputFile {
        var file = InputFile(path: "logs/" + name, source: Pipeline.Source(kind: .ndjson, paths: []))
        file.day = day
        return file
    }

    /// The last line of a path is its entry, as when every line was held: a later line of a
    /// path held for its position is held too (a review: an older line was taken, and a
    /// conflict said that the whole manifest did not).
    @Test func theLastLineOfAPathIsItsEntry() {
        let folder = TestFiles.temporaryFolder("manifest-twice")
        defer { TestFiles.remove(folder) }
        let mine = file("mine.log")
        TestFiles.write(folder + "/manifest.ndjson", """
            {"path":"/old/e.log","bytes":1,"crc32":2,"runs":1,"last_run":3,"content_bytes":5,"content_crc32":6,"position":"\(mine.positionPrefix)"}
            {"path":"/old/e.log","bytes":1,"crc32":2,"runs":1,"last_run":3,"content_bytes":7,"content_crc32":8,"position":"000000019801|e.log|"}

            """)
        let manifest = Manifest(folder: folder, for: [mine])
        #expect(manifest.entries["/old/e.log"]?.contentBytes == 7)
        #expect(manifest.previousContentBytes(of: mine) == nil)
    }

    /// What `write` copies comes from the file the run read, even when another took its name
    /// meanwhile (a rebuild's manifest renamed over it: entries were lost and others doubled).
    @Test func theOtherLinesComeFromTheFileRead() throws {
        let folder = TestFiles.temporaryFolder("manifest-renamed")
        defer { TestFiles.remove(folder) }
        let other = #"{"path":"logs/other.log","bytes":1,"crc32":2,"runs":1,"last_run":3}"#
        TestFiles.write(folder + "/manifest.ndjson", other + "\n")
        let manifest = Manifest(folder: folder, for: [file("mine.log")])
        TestFiles.write(folder + "/replacement", #"{"path":"logs/else.log","bytes":1,"crc32":2,"runs":1,"last_run":3}"# + "\n")
        rename(folder + "/replacement", folder + "/manifest.ndjson")
        try manifest.write(folder: folder)
        #expect(TestFiles.readText(folder + "/manifest.ndjson") == other + "\n")
    }

    /// A manifest that is there but cannot be read is not replaced by the run's files alone
    /// (it was, without a word: every other file forgotten).
    @Test func aManifestThatCannotBeReadIsNotReplaced() {
        let folder = TestFiles.temporaryFolder("manifest-unreadable")
        defer { TestFiles.remove(folder) }
        symlink("manifest.ndjson", folder + "/manifest.ndjson")  // a loop: ELOOP
        let manifest = Manifest(folder: folder, for: [file("mine.log")])
        #expect(throws: SinkError.self) { try manifest.write(folder: folder) }
        var info = stat()
        #expect(lstat(folder + "/manifest.ndjson", &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK)
    }

    /// A path read for a later line's position and then dropped by `record` (its position
    /// taken by another file) does not come back through an earlier line of it (a review).
    @Test func anEarlierLineOfAPathReadDoesNotComeBack() throws {
        let folder = TestFiles.temporaryFolder("manifest-earlier")
        defer { TestFiles.remove(folder) }
        let mine = file("mine.log")
        TestFiles.write(folder + "/manifest.ndjson", """
            {"path":"/elsewhere/x.log","bytes":1,"crc32":2,"runs":1,"last_run":3,"position":"zzz|x|"}
            {"path":"/elsewhere/x.log","bytes":1,"crc32":2,"runs":1,"last_run":3,"position":"\(mine.positionPrefix)"}

            """)
        var manifest = Manifest(folder: folder, for: [mine])
        _ = manifest.record(mine, Manifest.Reading(bytes: 9, crc32: 9, contentBytes: 9, contentCRC32: 9, prefixCRC32: nil, kept: 1), settings: ("s", "s", []), now: 5)
        try manifest.write(folder: folder)
        let written = TestFiles.readText(folder + "/manifest.ndjson") ?? ""
        #expect(!written.contains("/elsewhere/x.log") && written.contains("mine.log"), "\(written)")
    }
}
