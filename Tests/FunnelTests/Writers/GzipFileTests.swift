@testable import FunnelWriters
import FunnelTestSupport
import Testing

/// `AtomicFile(path:gzip:)`: what is appended reaches the file as one gzip member that
/// `gzip -dc` reads back exactly, across many buffer flushes and at the end; the same bytes
/// give the same file (no time or name in the header); nothing is renamed before `commit`.
struct GzipFileTests {
    private func unzipped(_ path: String) throws -> [UInt8] {
        let folder = TestFiles.temporaryFolder("gzip-out")
        defer { TestFiles.remove(folder) }
        let result = try CommandRunner.run("/bin/sh", ["-c", "gzip -dc '\(path)' > '\(folder)/plain'"])
        #expect(result.status == 0, "\(result)")
        return TestFiles.read(folder + "/plain") ?? []
    }

    /// Pieces of varied sizes and contents (text that compresses, bytes that do not), about
    /// 6 MiB in all: several 1 MiB flushes, each compressed on its way out.
    private func pieces() -> [[UInt8]] {
        var random = SplitMix64(seed: 42)
        var pieces: [[UInt8]] = []
        for index in 0..<400 {
            let size = 1 + Int(random.next() % 30_000)
            if index % 3 == 0 {
                pieces.append((0..<size).map { _ in UInt8(truncatingIfNeeded: random.next()) })
            } else {
                pieces.append(Array(String(repeating: "{\"session_id\":\"\(index)\",\"events\":[]}\n", count: size / 38 + 1).utf8))
            }
        }
        return pieces
    }

    @Test func manyFlushesReadBackExactlyAndTheSameBytesGiveTheSameFile() throws {
        let folder = TestFiles.temporaryFolder("gzip-file")
        defer { TestFiles.remove(folder) }
        let all = pieces()
        let expected = Array(all.joined())
        try #require(expected.count > 4 << 20)
        var files: [[UInt8]] = []
        for name in ["a.ndjson.gz", "b.ndjson.gz"] {
            let file = try AtomicFile(path: folder + "/" + name.dropLast(3), gzip: true)
            #expect(file.path == folder + "/" + name)
            for piece in all { try file.append(piece) }
            #expect(!TestFiles.exists(folder + "/" + name), "renamed before commit")
            try file.commit()
            let bytes = try #require(TestFiles.read(folder + "/" + name))
            #expect(Array(bytes.prefix(4)) == [0x1F, 0x8B, 0x08, 0x00], "a gzip member without a name")
            #expect(Array(bytes[4..<8]) == [0, 0, 0, 0], "no modification time")
            #expect(bytes.count < expected.count, "compressed")
            #expect(try unzipped(folder + "/" + name) == expected)
            files.append(bytes)
        }
        #expect(files[0] == files[1])
    }

    @Test func anEmptyFileIsAnEmptyGzipMember() throws {
        let folder = TestFiles.temporaryFolder("gzip-empty")
        defer { TestFiles.remove(folder) }
        let file = try AtomicFile(path: folder + "/empty", gzip: true)
        try file.commit()
        #expect(TestFiles.read(folder + "/empty.gz")?.count == 20)
        #expect(try unzipped(folder + "/empty.gz") == [])
    }
}
