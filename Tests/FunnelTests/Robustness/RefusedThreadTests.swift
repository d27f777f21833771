import FunnelTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A stage whose thread the system will not start (no address space left for its stack, or the
/// thread limit reached) ends the run with exit status 3 and a message naming the thread, in
/// the real binary: it does not hang (a consumer's loop run in place waited forever for its
/// first item until 2026-12-03), leaves the previous output whole and no temporary files, and
/// a re-run gives the clean result. `FUNNEL_REFUSE_THREADS` makes the binary refuse the named
/// threads as `pthread_create` would.
@Suite(.serialized)
struct RefusedThreadTests {
    /// Every thread a run with a SQLite history and a flat-file sink starts: the reader, the
    /// flush thread, each chunk's keeper, the history's writer, and at the end the session
    /// bodies' writer and the visitor totals.
    static let threads = ["funnel-read", "funnel-flush", "funnel-keep", "funnel-history", "funnel-bodies", "funnel-totals"]

    private func run(_ arguments: [String], refusing thread: String? = nil) throws -> CommandResult {
        try #require(TestFiles.exists(CommandLineTests.binary), "no funnel executable at \(CommandLineTests.binary); build it or set FUNNEL_BINARY")
        return try BackgroundCommand(CommandLineTests.binary, arguments, environment: ["FUNNEL_REFUSE_THREADS": thread])
            .wait(timeout: .seconds(60))
    }

    @Test func eachRefusedThreadEndsTheRunWithStatus3AndItsNameAndAReRunGivesTheCleanResult() throws {
        let inputs = CrashSafetyTests.Inputs(visitors: 150, seed: 6_0606)
        defer { withExtendedLifetime(inputs) {} }  // its folder goes with it
        let folder = inputs.folder
        let pipeline = inputs.pipeline
        // Small chunks: several flushes, so keepers and the history's writer start more than once.
        let arguments = { (output: String) in ["run", pipeline, "--output", output, "--progress", "never", "--chunk-records", "500"] }
        let cleanFolder = folder + "/clean"
        let clean = try run(arguments(cleanFolder))
        try #require(clean.status == 0, "\(clean)")
        let cleanSessions = try #require(TestFiles.read(cleanFolder + "/sessions.ndjson"))
        try #require(cleanSessions.count > 10_000)
        let oldSessions = Array(#"{"session_id":"from-an-earlier-run","events":[]}"#.utf8) + [0x0A]

        for thread in Self.threads {
            let output = folder + "/" + thread
            mkdir(output, 0o755)
            TestFiles.write(output + "/sessions.ndjson", oldSessions)
            let refused = try run(arguments(output), refusing: thread)
            #expect(refused.status == 3, "\(thread): \(refused)")
            #expect(refused.stderr.contains("could not start thread \(thread): Resource temporarily unavailable"), "\(thread): \(refused)")
            #expect(TestFiles.read(output + "/sessions.ndjson") == oldSessions, "\(thread): the previous output was replaced")
            let leftovers = CrashSafetyTests.files(in: output).filter { $0.contains(".tmp-") }
            #expect(leftovers.isEmpty, "\(thread): temporary files left: \(leftovers)")

            let rerun = try run(arguments(output))
            #expect(rerun.status == 0, "\(thread): \(rerun)")
            let same = TestFiles.read(output + "/sessions.ndjson") == cleanSessions
            #expect(same, "\(thread): after the re-run sessions.ndjson differs from a clean run's")
        }
    }

    /// The helpers a flush's parallel steps start (`funnel-part`) are the one kind of thread
    /// a run does without: refused, the flush thread does their share, and the run gives the
    /// clean result. (On libdispatch's workers, which it started until 2026-12-05, a thread
    /// limit reached made the run sleep and try again for ever: `ulimit -u 3` hung it with no
    /// CPU used.)
    @Test func aRefusedHelperOfTheParallelStepsIsDoneWithout() throws {
        let inputs = CrashSafetyTests.Inputs(visitors: 1000, seed: 6_0607)
        defer { withExtendedLifetime(inputs) {} }
        let arguments = { (output: String) in ["run", inputs.pipeline, "--output", output, "--progress", "never"] }
        let clean = try run(arguments(inputs.folder + "/clean"))
        try #require(clean.status == 0, "\(clean)")
        let cleanSessions = try #require(TestFiles.read(inputs.folder + "/clean/sessions.ndjson"))
        let refused = try run(arguments(inputs.folder + "/refused"), refusing: "funnel-part")
        #expect(refused.status == 0, "\(refused)")
        #expect(TestFiles.read(inputs.folder + "/refused/sessions.ndjson") == cleanSessions)
    }
}
