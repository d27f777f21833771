import FunnelReaders
import FunnelTestSupport
import Testing

struct InputStreamTests {
    private func readAll(_ path: String, chunk: Int = 7) throws -> ([UInt8], InputDamage?) {
        let stream = try InputStream(path: path, bufferSize: 64)
        var out: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 1)
        defer { buffer.deallocate() }
        while true {
            let count = stream.read(into: buffer)
            if count == 0 { break }
            out.append(contentsOf: buffer[..<count])
        }
        return (out, stream.damage)
    }

    private let text = (0..<200).map { "line \($0) of some text\n" }.joined()

    @Test func readsPlainFilesAsIs() throws {
        let folder = TestFiles.temporaryFolder()
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/plain.log.gz", text)  // a .gz name does not make it gzip
        let (bytes, damage) = try readAll(folder + "/plain.log.gz")
        #expect(bytes == Array(text.utf8))
        #expect(damage == nil)
    }

    @Test func readsEveryMemberOfAMultiMemberGzip() throws {
        let folder = TestFiles.temporaryFolder()
        defer { TestFiles.remove(folder) }
        TestFiles.gzip("first member\n", to: folder + "/multi.gz")
        TestFiles.gzip(text, to: folder + "/multi.gz", append: true)
        TestFiles.gzip("", to: folder + "/multi.gz", append: true)  // an empty member
        TestFiles.gzip("last member\n", to: folder + "/multi.gz", append: true)
        let (bytes, damage) = try readAll(folder + "/multi.gz")
        #expect(String(decoding: bytes, as: UTF8.self) == "first member\n" + text + "last member\n")
        #expect(damage == nil)
    }

    @Test func keepsEverythingBeforeATruncation() throws {
        let folder = TestFiles.temporaryFolder()
        defer { TestFiles.remove(folder) }
        TestFiles.gzip(text, to: folder + "/whole.gz")
        let whole = try #require(TestFiles.read(folder + "/whole.gz"))
        TestFiles.write(folder + "/cut.gz", whole.prefix(whole.count / 2))
        let (bytes, damage) = try readAll(folder + "/cut.gz")
        #expect(damage?.kind == .truncated)
        #expect(bytes.count > 0)
        #expect(Array(text.utf8).starts(with: bytes))
    }

    @Test func reportsABadCRCAfterDeliveringTheData() throws {
        let folder = TestFiles.temporaryFolder()
        defer { TestFiles.remove(folder) }
        TestFiles.gzip(text, to: folder + "/crc.gz")
        var bytes = try #require(TestFiles.read(folder + "/crc.gz"))
        bytes[bytes.count - 8] ^= 0xFF  // the CRC-32 in the trailer
        TestFiles.write(folder + "/crc.gz", bytes)
        let (data, damage) = try readAll(folder + "/crc.gz")
        #expect(damage?.kind == .corrupt)
        #expect(data == Array(text.utf8))
    }

    @Test func reportsGarbageAfterTheLastMember() throws {
        let folder = TestFiles.temporaryFolder()
        defer { TestFiles.remove(folder) }
        TestFiles.gzip(text, to: folder + "/tail.gz")
        var bytes = try #require(TestFiles.read(folder + "/tail.gz"))
        bytes.append(contentsOf: Array("not gzip".utf8))
        TestFiles.write(folder + "/tail.gz", bytes)
        let (data, damage) = try readAll(folder + "/tail.gz")
        #expect(data == Array(text.utf8))
        #expect(damage?.kind == .trailingGarbage)
    }

    @Test func readsEmptyFiles() throws {
        let folder = TestFiles.temporaryFolder()
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/empty", "")
        let (bytes, damage) = try readAll(folder + "/empty")
        #expect(bytes.isEmpty)
        #expect(damage == nil)
    }

    /// What `unread` hands back comes first, in pieces as small as the reader asks, then the
    /// rest of the (here gzipped) input: how stdin is peeked and then read by the run.
    @Test func unreadBytesComeBackBeforeTheRest() throws {
        let folder = TestFiles.temporaryFolder("input-unread")
        defer { TestFiles.remove(folder) }
        TestFiles.gzip(text, to: folder + "/input.gz")
        let stream = try InputStream(path: folder + "/input.gz", bufferSize: 64)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 50, alignment: 1)
        defer { buffer.deallocate() }
        let first = stream.read(into: buffer)
        try #require(first > 10)
        stream.unread(UnsafeRawBufferPointer(rebasing: buffer[10..<first]))
        stream.unread(UnsafeRawBufferPointer(rebasing: buffer[..<10]))
        var out: [UInt8] = []
        let small = UnsafeMutableRawBufferPointer.allocate(byteCount: 7, alignment: 1)
        defer { small.deallocate() }
        while true {
            let count = stream.read(into: small)
            if count == 0 { break }
            out.append(contentsOf: small[..<count])
        }
        #expect(out == Array(text.utf8))
        #expect(stream.damage == nil)
    }

    @Test func aMissingFileIsAnErrorNamingIt() {
        #expect { try InputStream(path: "/nonexistent/file.log") } throws: { error in
            "\(error)".contains("/nonexistent/file.log") && "\(error)".contains("No such file")
        }
    }
}
