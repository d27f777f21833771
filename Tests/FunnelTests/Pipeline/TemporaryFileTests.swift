import Foundation
@testable import FunnelPipeline
import Testing

/// The scratch's files: made where SQLite made its temporary files, gone from the folder at
/// once, and read back whole, buffered or not.
struct TemporaryFileTests {
    private func makeFolder() throws -> String {
        let folder = NSTemporaryDirectory() + "funnel-tempfile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        return folder
    }

    @Test func theFolderIsSQLitesChoice() throws {
        let folder = try makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(TemporaryFile.folder { $0 == "SQLITE_TMPDIR" ? folder : "/nonexistent" } == folder)
        #expect(TemporaryFile.folder { $0 == "TMPDIR" ? folder : nil } == folder)
        // A variable naming no folder is passed over.
        #expect(TemporaryFile.folder { $0 == "SQLITE_TMPDIR" ? "/nonexistent" : ($0 == "TMPDIR" ? folder : nil) } == folder)
        #expect(TemporaryFile.folder { _ in nil } == "/var/tmp")
    }

    @Test func nothingIsLeftInTheFolderAndWhatWasAppendedComesBack() throws {
        let folder = try makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = try TemporaryFile(purpose: "a test", bufferBytes: 1_000, folder: folder)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
        var expected: [UInt8] = []
        for piece in 0..<50 {
            // Pieces smaller and larger than the buffer.
            let bytes = (0..<(piece * 97 % 2_500)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ piece) }
            #expect(try file.append(bytes) == expected.count)
            expected += bytes
        }
        #expect(file.size == expected.count)
        // Read back without a flush first: buffered bytes too.
        var back = [UInt8](repeating: 0, count: expected.count + 10)
        let got = try back.withUnsafeMutableBytes { try file.read(at: 0, into: $0) }
        #expect(got == expected.count)
        #expect(Array(back[0..<got]) == expected)
        try file.seal()
        #expect(try file.append([1, 2, 3]) == expected.count)
        var tail = [UInt8](repeating: 0, count: 3)
        #expect(try tail.withUnsafeMutableBytes { try file.read(at: expected.count, into: $0) } == 3)
        #expect(tail == [1, 2, 3])
    }

    @Test func aFolderThatCannotHoldItGivesAnErrorNamingIt() {
        #expect {
            _ = try TemporaryFile(purpose: "the run's sessions", folder: "/nonexistent/folder")
        } throws: { error in
            "\(error)".contains("/nonexistent/folder") && "\(error)".contains("the run's sessions") && "\(error)".contains("TMPDIR")
        }
    }
}
