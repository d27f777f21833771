@testable import FunnelPipeline
import FunnelTestSupport
import Testing

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
}
