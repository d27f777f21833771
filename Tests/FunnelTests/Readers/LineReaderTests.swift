import FunnelReaders
import FunnelTestSupport
import Testing

struct LineReaderTests {
    private func lines(_ content: [UInt8], max: Int = 64, chunk: Int = 16) throws -> [String] {
        let folder = TestFiles.temporaryFolder()
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/input", content)
        let reader = LineReader(stream: try InputStream(path: folder + "/input", bufferSize: 32), maxLineLength: max, chunkSize: chunk)
        var result: [String] = []
        _ = reader.forEach { item in
            switch item {
            case .line(let bytes, let number): result.append("\(number):" + String(decoding: bytes, as: UTF8.self))
            case .tooLong(let prefix, let number, let length): result.append("\(number):TOO LONG \(length) \(prefix.count)")
            }
        }
        return result
    }

    @Test func splitsAcrossChunkBoundariesAndStripsCR() throws {
        let text = "alpha\r\nbravo charlie delta echo\nfoxtrot\n\nlast without newline"
        #expect(try lines(Array(text.utf8)) == ["1:alpha", "2:bravo charlie delta echo", "3:foxtrot", "4:", "5:last without newline"])
    }

    /// A CRLF line of exactly the limit is kept wherever its CR falls among the reads, and a
    /// longer one's length is given without its CR (until 2026-12-05 one whose CR was the
    /// last byte of a read was rejected as one byte over the limit).
    @Test(arguments: 0...70)
    func aCRLFLineOfTheLimitIsKeptWhereverItsCRFalls(offset: Int) throws {
        let limit = 16
        let line = String(repeating: "y", count: limit)
        let filler = String(repeating: "f", count: offset % 10) + "\r\n"
        let text = String(repeating: filler, count: offset / 10) + line + "\r\n" + String(repeating: "z", count: limit + 3) + "\r\nend"
        let result = try lines(Array(text.utf8), max: limit, chunk: 8)
        let fillers = offset / 10
        #expect(result.dropFirst(fillers) == ["\(fillers + 1):" + line, "\(fillers + 2):TOO LONG \(limit + 3) \(limit + 3)", "\(fillers + 3):end"], "\(result)")
    }

    /// An over-long last line's length is without the CR that ends the input, as with a
    /// newline after it (it counted the CR until 2026-12-05; a review).
    @Test(arguments: [0, 3, 9])
    func anOverlongLastLinesCRIsNotCounted(before: Int) throws {
        let line = String(repeating: "y", count: 65 + before)
        let expected = ["1:TOO LONG \(65 + before) \(65 + before)"]
        #expect(try lines(Array((line + "\r").utf8)) == expected)
        #expect(try lines(Array((line + "\r\n").utf8)) == expected)
    }

    /// The line after a hole longer than the limit is read wherever the hole ends among the
    /// reads, its last line too without a line end (rv76e: a line that began 1 to 3 bytes
    /// before a read's end was lost in the over-long line, `line_too_long`, at every boundary
    /// of a 256 KiB buffer a review tried).
    @Test(arguments: 0...40)
    func theLineAfterALongHoleIsReadWhereverTheHoleEnds(shift: Int) throws {
        let cut = Array(String(repeating: "c", count: 3 + shift).utf8)
        let hole = [UInt8](repeating: 0, count: 100 + shift % 7)
        let result = try lines(cut + hole + Array("good line\nnext\n".utf8), max: 64, chunk: 16)
        #expect(result.map { $0.drop { $0 != ":" }.dropFirst() } == ["good line", "next"], "\(result)")
        let last = try lines(cut + hole + Array("last line".utf8), max: 64, chunk: 16)
        #expect(last.map { $0.drop { $0 != ":" }.dropFirst() } == ["last line"], "\(last)")
    }

    @Test func skipsOverlongLinesWithoutBufferingThem() throws {
        let long = String(repeating: "x", count: 1000)
        let text = "short\n\(long)\nafter\n\(long)"
        let result = try lines(Array(text.utf8), max: 100, chunk: 64)
        #expect(result == ["1:short", "2:TOO LONG 1000 512", "3:after", "4:TOO LONG 1000 512"])
    }

    /// Reads fill the buffer up to the chunk, and further only for a line longer than it: a
    /// buffer sized for two lines of a high limit is not held whole by every open file.
    @Test func readsFillAChunkUntilALineNeedsMore() throws {
        let folder = TestFiles.temporaryFolder()
        defer { TestFiles.remove(folder) }
        let short = String(repeating: "s", count: 99)
        let long = String(repeating: "L", count: 50_000)
        func read(_ lines: [String]) throws -> (lines: [String], used: Int) {
            TestFiles.write(folder + "/input", Array((lines.joined(separator: "\n") + "\n").utf8))
            let reader = LineReader(stream: try InputStream(path: folder + "/input"), maxLineLength: 65_536, chunkSize: 4_096)
            var result: [String] = []
            _ = reader.forEach { item in
                if case .line(let bytes, _) = item { result.append(String(decoding: bytes, as: UTF8.self)) }
            }
            return (result, reader.bufferUsed)
        }
        let shortOnly = Array(repeating: short, count: 1_000)
        let plain = try read(shortOnly)
        #expect(plain.lines == shortOnly && plain.used <= 4_096)
        let withLong = Array(repeating: short, count: 500) + [long] + Array(repeating: short, count: 500)
        let grown = try read(withLong)
        #expect(grown.lines == withLong && grown.used > 50_000 && grown.used < 50_000 + 4_096)
    }
}
