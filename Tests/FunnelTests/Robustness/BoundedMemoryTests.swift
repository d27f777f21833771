import FunnelTestSupport
import Testing

/// A line of hundreds of megabytes is skipped, not buffered: the real binary reads one under
/// an address-space limit far smaller than the line (issue 5; the fixture bad_long_line shows
/// the rejects of smaller ones).
struct BoundedMemoryTests {
    @Test func aQuarterGigabyteLineIsSkippedUnderA150MegabyteAddressSpaceLimit() throws {
        let binary = CommandLineTests.binary
        try #require(TestFiles.exists(binary), "no funnel executable at \(binary); build it or set FUNNEL_BINARY")
        let folder = TestFiles.temporaryFolder("bounded-memory")
        defer { TestFiles.remove(folder) }
        let good = #"203.0.113.9 - - [05/Jan/2024:09:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0 (X11; Linux x86_64)""#
        // 256 MiB of one byte gzips to about 1 MiB; generated here rather than committed.
        let made = try CommandRunner.run("/bin/sh", ["-c", """
            cd '\(folder)' && { echo '\(good)'; head -c 268435456 /dev/zero | tr '\\0' A; echo; echo '\(good)'; } | gzip -1 > big.log.gz
            """])
        try #require(made.status == 0, "\(made)")
        TestFiles.write(folder + "/pipeline.yaml", """
            sources:
              - kind: access_log
                paths: ["big.log.gz"]
            limits:
              max_reject_rate: 0.5
            sink:
              kind: ndjson
              output: out
            """)
        let result = try CommandRunner.run("/bin/sh", ["-c", "ulimit -v 153600 && exec '\(binary)' run '\(folder)/pipeline.yaml' --progress never"],
                                           timeout: .seconds(60))
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("line_too_long 1"), "\(result)")
        #expect(result.stderr.contains("kept         2"), "\(result)")
        let rejects = TestFiles.readText(folder + "/out/rejects.ndjson") ?? ""
        #expect(rejects.contains(#""detail":"268435456 bytes, over the limit of 65536""#), "\(rejects.prefix(300))")
    }
}
