#if canImport(Glibc)
import Glibc
#endif
import FunnelTestSupport
import FunnelWriters
import Testing

/// The one write loop of the flat-file outputs and the run's temporary files: every byte lands
/// where it was asked to, and a failure comes back as its `errno`, not as a short file.
struct DescriptorWriteTests {
    /// Appended at the descriptor's position, then written over at an offset: the file reads
    /// back as both calls put it; a buffer larger than a pipe's or a page's goes whole.
    @Test func writesEveryByteAtThePositionOrTheOffset() {
        let folder = TestFiles.temporaryFolder("funnel-descriptor-write")
        defer { TestFiles.remove(folder) }
        let path = folder + "/bytes"
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        #expect(fd >= 0)
        defer { close(fd) }
        let large = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(large.withUnsafeBytes { DescriptorWrite.all(fd, $0) } == nil)
        #expect(Array("abc".utf8).withUnsafeBytes { DescriptorWrite.all(fd, $0, at: 10) } == nil)
        var expected = large
        expected.replaceSubrange(10..<13, with: Array("abc".utf8))
        #expect(TestFiles.read(path) == expected)
    }

    /// A descriptor that is not open: `EBADF`, which the callers turn into a message naming
    /// their file.
    @Test func aFailedWriteReturnsItsErrno() {
        #expect(Array("abc".utf8).withUnsafeBytes { DescriptorWrite.all(-1, $0) } == EBADF)
        #expect(Array("abc".utf8).withUnsafeBytes { DescriptorWrite.all(-1, $0, at: 0) } == EBADF)
    }
}
