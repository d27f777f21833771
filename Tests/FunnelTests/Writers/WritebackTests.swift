import Foundation
import FunnelWriters
import Testing

/// Writeback started early changes nothing of what a file holds: it only sends pages to the
/// disk before the fsync that makes them durable.
struct WritebackTests {
    private func temporaryFolder() throws -> String {
        let path = NSTemporaryDirectory() + "funnel-writeback-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// 20 MiB in pieces of odd sizes: writeback starts at 8 and 16 MiB, from where the last
    /// one ended; the file reads back byte for byte and only under its final name.
    @Test func atomicFilePastTheWritebackThresholdHoldsEveryByte() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
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
        #expect(!FileManager.default.fileExists(atPath: path))
        try file.commit()
        let written = try #require(FileManager.default.contents(atPath: path))
        #expect(written.count == expected.count)
        #expect(Array(written) == expected)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test func pathWritebackNeedsAFileAndLeavesItAsItWas() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(PathWriteback(path: folder + "/missing") == nil)
        let path = folder + "/history"
        let content = Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0) })
        try content.write(to: URL(fileURLWithPath: path))
        let writeback = try #require(PathWriteback(path: path, interval: 3600))
        writeback.start()
        writeback.start()
        writeback.start(force: true)
        #expect(FileManager.default.contents(atPath: path) == content)
    }
}
