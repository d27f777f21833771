#if canImport(Glibc)
import Glibc
#endif
@testable import FunnelPipeline
import FunnelTestSupport
import FunnelWriters
import Testing

/// Writeback started early changes nothing of what a file holds: it only sends pages to the
/// disk before the fsync that makes them durable.
struct WritebackTests {
    /// 20 MiB in pieces of odd sizes: writeback starts at 8 and 16 MiB, from where the last
    /// one ended; the file reads back byte for byte and only under its final name.
    @Test func atomicFilePastTheWritebackThresholdHoldsEveryByte() throws {
        let folder = TestFiles.temporaryFolder("funnel-writeback")
        defer { TestFiles.remove(folder) }
        let path = folder + "/sessions.ndjson"
        let file = try AtomicFile(path: path)
        var expected: [UInt8] = []
        var piece = 0
        while expected.count < 20 << 20 {
            let size = 70_001 + (piece * 7_919) % 300_000
            // Each piece its own byte, its first and last bytes marked: a piece lost, doubled
            // or moved does not read back the same.
            var bytes = [UInt8](repeating: UInt8(truncatingIfNeeded: piece), count: size)
            bytes[0] = 0xFF
            bytes[size - 1] = UInt8(truncatingIfNeeded: size)
            try file.append(bytes)
            expected += bytes
            piece += 1
        }
        #expect(!TestFiles.exists(path))
        try file.commit()
        let written = try #require(TestFiles.read(path))
        #expect(written.count == expected.count)
        #expect(written == expected)
        #expect(!TestFiles.exists(path + ".tmp-\(getpid())"))
    }

    @Test func pathWritebackNeedsAFileAndLeavesItAsItWas() throws {
        let folder = TestFiles.temporaryFolder("funnel-writeback")
        defer { TestFiles.remove(folder) }
        #expect(PathWriteback(path: folder + "/missing") == nil)
        let path = folder + "/history"
        let content = (0..<100_000).map { UInt8(truncatingIfNeeded: $0) }
        TestFiles.write(path, content)
        let writeback = try #require(PathWriteback(path: path, interval: 3600))
        writeback.start()
        writeback.start()
        writeback.start(force: true)
        #expect(TestFiles.read(path) == content)
    }
}
