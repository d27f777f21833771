import CZlib
import Foundation
import FunnelReaders
import FunnelTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

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

    /// An input that cannot be opened for want of descriptors is the machine's refusal (the
    /// run stops, exit 3), not a damaged input (exit 2, the run going on without it; a review).
    @Test func outOfDescriptorsIsToldFromAMissingFile() {
        #expect(InputError(path: "a.log", errno: EMFILE).outOfDescriptors)
        #expect(InputError(path: "a.log", errno: ENFILE).outOfDescriptors)
        #expect(!InputError(path: "a.log", errno: ENOENT).outOfDescriptors)
        #expect(throws: InputError.self) { _ = try InputStream.opening("/nonexistent/a.log", bufferSize: 64) }
    }

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
        // Exactly what zlib's inflate makes of the cut file on its own, every byte of it: a
        // reader that dropped its last read before the cut passed a prefix check (a review).
        let decodable = Self.inflated(Array(whole.prefix(whole.count / 2)))
        #expect(decodable.count > 1_000)
        #expect(bytes == decodable, "\(bytes.count) bytes of \(decodable.count)")
    }

    /// All that zlib's `inflate` decodes of a gzip stream, stopping where it is cut.
    static func inflated(_ input: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, 16 + 15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return [] }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: 1 << 20)
        var input = input
        let produced = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                _ = inflate(&stream, Z_SYNC_FLUSH)
                return target.count - Int(stream.avail_out)
            }
        }
        return Array(output.prefix(produced))
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

    /// A link whose target is gone is said as one, with its target (rv74a: "No such file or
    /// directory" of a name `ls` lists).
    @Test func aLinkToNothingIsSaidAsOne() throws {
        let folder = TestFiles.temporaryFolder("input-dangling")
        defer { TestFiles.remove(folder) }
        #expect(symlink(folder + "/gone.log.gz", folder + "/a.log.gz") == 0)
        #expect { try InputStream(path: folder + "/a.log.gz") } throws: { error in
            "\(error)" == "cannot read input \(folder)/a.log.gz: it is a symbolic link to \(folder)/gone.log.gz, which leads to no file"
        }
    }

    /// A FIFO or a device in the place of a file the run listed as regular is refused at once,
    /// as the listing refuses one (rv77b: a FIFO put where a late file of the day had been,
    /// after the run listed it, hung the run in `open` for good). Opened on a thread of its
    /// own, so that a hang is a failure here, not a hung test run; a regular file still reads.
    /// (A FIFO given as `--input` is read: StopSignalTests feed one.)
    @Test func aFIFOOrADeviceIsRefusedWithoutWaiting() throws {
        let folder = TestFiles.temporaryFolder("input-fifo")
        defer { TestFiles.remove(folder) }
        #expect(mkfifo(folder + "/late.log.gz", 0o644) == 0)
        for (path, what) in [(folder + "/late.log.gz", "a FIFO (a pipe)"), ("/dev/null", "a device")] {
            let said = resultWithin(5) {
                do {
                    _ = try InputStream(path: path, regularOnly: true)
                    return "opened"
                } catch {
                    return "\(error)"
                }
            }
            #expect(said != nil, "\(path): open waited")
            #expect(said == "cannot read input \(path): it is \(what), not a file")
        }
        TestFiles.write(folder + "/plain.log", "a line\n")
        #expect(try readAll(folder + "/plain.log").0 == Array("a line\n".utf8))
    }

    /// CRC-32 (IEEE, reflected), written out here so the stream's is checked against code it
    /// does not share.
    private static func crc32(_ bytes: some Collection<UInt8>) -> UInt {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return UInt(crc ^ 0xFFFF_FFFF)
    }

    /// The content's length and CRC-32 (of the decompressed bytes for gzip, however many
    /// members), and the CRC-32 of its first N bytes for N anywhere: inside a member, at a
    /// member's end, at the content's end, past it (nil), and 0 (the empty prefix).
    @Test(arguments: [false, true])
    func theContentsChecksumAndAnyPrefixsAreZlibsCRC(gzip: Bool) throws {
        let folder = TestFiles.temporaryFolder("content-crc")
        defer { TestFiles.remove(folder) }
        let path = folder + (gzip ? "/three.log.gz" : "/plain.log")
        let parts = [String(text.prefix(1_000)), String(text.dropFirst(1_000).prefix(7)), String(text.dropFirst(1_007))]
        if gzip {
            for (index, part) in parts.enumerated() { TestFiles.gzip(part, to: path, append: index > 0) }
        } else {
            TestFiles.write(path, parts.joined())
        }
        let content = Array(text.utf8)
        for prefix in [0, 1, 999, 1_000, 1_003, 1_007, 1_008, 2_500, content.count - 1, content.count, content.count + 1] {
            let stream = try InputStream(path: path, bufferSize: 64)
            stream.contentPrefixLength = Int64(prefix)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 13, alignment: 1)
            defer { buffer.deallocate() }
            while stream.read(into: buffer) > 0 {}
            #expect(stream.damage == nil)
            #expect(stream.contentBytes == Int64(content.count))
            #expect(stream.contentChecksum == Self.crc32(content))
            #expect(stream.contentPrefixChecksum == (prefix <= content.count ? Self.crc32(content.prefix(prefix)) : nil), "prefix \(prefix)")
        }
    }
}
