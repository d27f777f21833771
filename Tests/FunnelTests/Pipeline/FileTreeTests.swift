@testable import FunnelPipeline
import FunnelTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The staging folder of a flat-file rebuild is removed without a shell: a name with a quote
/// cannot reach anything else, and a link inside is removed, not followed.
struct FileTreeTests {
    @Test func removesAFolderWholeAndOnlyIt() throws {
        let base = TestFiles.temporaryFolder("file-tree")
        defer { TestFiles.remove(base) }
        let outside = base + "/outside"
        let target = base + "/the film's out.rebuild"
        for folder in [outside, target, target + "/a", target + "/a/b"] { #expect(mkdir(folder, 0o755) == 0) }
        TestFiles.write(outside + "/keep.txt", "kept\n")
        // Until 2026-12-05: system("rm -rf '<path>'"), which the quote in that name broke
        // (the shell refused the line, and the old staging data stayed).
        TestFiles.write(target + "/a/b/c.ndjson", "{}\n")
        TestFiles.write(target + "/top.ndjson", "{}\n")
        let notUTF8 = Array((target + "/").utf8CString.dropLast()) + [CChar(bitPattern: 0xFF), 0]
        let fd = open(notUTF8, O_CREAT | O_WRONLY, 0o644)
        #expect(fd >= 0)
        close(fd)
        #expect(symlink(outside, target + "/link") == 0)

        try FileTree.remove(target)
        #expect(!TestFiles.exists(target))
        #expect(TestFiles.readText(outside + "/keep.txt") == "kept\n", "a link is removed, not followed")
        // Missing: no fault.
        try FileTree.remove(target)
    }
}
