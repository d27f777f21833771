import Foundation
import FunnelPipeline
@testable import FunnelCore
import FunnelTestSupport
import FunnelWriters
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A run killed in a container whose first process does not reap stays a zombie: it answers
/// `kill(pid, 0)` but is gone. Its temporary files are removed by the next run and its Redis
/// lock on this host taken over (`ProcessLiveness`; until 2026-12-05 a zombie counted as a
/// running process, its lock refused every later run and its temporaries stayed).
struct ProcessLivenessTests {
    /// A child that exited and is not reaped yet; reaped by `reap`.
    static func zombie() throws -> pid_t {
        var pid: pid_t = 0
        let arguments: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
        defer { for argument in arguments { free(argument) } }
        #expect(posix_spawn(&pid, "/bin/true", nil, nil, arguments, environ) == 0)
        for _ in 0..<2_000 where ProcessLiveness.state(of: pid) != UInt8(ascii: "Z") { usleep(1_000) }
        try #require(ProcessLiveness.state(of: pid) == UInt8(ascii: "Z"), "the child is a zombie")
        #expect(kill(pid, 0) == 0, "a zombie answers kill(pid, 0)")
        return pid
    }

    static func reap(_ pid: pid_t) {
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    @Test func aZombieIsGoneAndARunningProcessIsNot() throws {
        let pid = try Self.zombie()
        defer { Self.reap(pid) }
        #expect(ProcessLiveness.isGone(pid))
        #expect(!ProcessLiveness.isGone(getpid()))
        #expect(ProcessLiveness.isGone(Int32.max), "no such process")
    }

    @Test func aZombiesTemporaryFileIsRemovedByTheNextWriter() throws {
        let folder = TestFiles.temporaryFolder("zombie-temporaries")
        defer { TestFiles.remove(folder) }
        let pid = try Self.zombie()
        defer { Self.reap(pid) }
        let left = folder + "/sessions.ndjson.tmp-\(pid)"
        TestFiles.write(left, "half a file")
        let mine = folder + "/sessions.ndjson.tmp-\(getppid())"
        TestFiles.write(mine, "a running process's file")
        let file = try AtomicFile(path: folder + "/sessions.ndjson")
        try file.commit()
        #expect(!TestFiles.exists(left), "the zombie's temporary file is removed")
        #expect(TestFiles.exists(mine), "a running process's is kept")
    }

    /// A run clears a killed run's temporaries of every output name, not only of the file it
    /// writes (rv69c: a killed `resp` run's `redis.resp.tmp-<pid>` stayed beside every later
    /// `sessions.ndjson`); other files' and a live process's are left.
    @Test func aRunClearsTheTemporariesOfEveryOutputName() throws {
        let folder = TestFiles.temporaryFolder("run-temporaries")
        defer { TestFiles.remove(folder) }
        TestFiles.write(folder + "/ev-2024-03-01.ndjson", #"{"event":"PageView","timestamp":"2024-03-01T10:00:00Z","anonymous_id":"v1","url":"/"}"# + "\n")
        TestFiles.write(folder + "/pipeline.yaml", "sources:\n  - kind: ndjson\n    paths: [\"ev-{date}.ndjson\"]\nsink:\n  kind: ndjson\n  output: out\n")
        let output = folder + "/out"
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let gone = Int32.max
        let stale = ["redis.resp", "redis.resp.gz", "sessions.csv", "sessions.ndjson.gz", "deleted.ndjson"].map { "\($0).tmp-\(gone)" }
        let kept = ["notes.txt.tmp-\(gone)", "redis.resp.tmp-\(getppid())"]
        for name in stale + kept { TestFiles.write(output + "/" + name, "half a file") }
        let summary = try RunsOverTimeTests.run(folder + "/pipeline.yaml", days: ["2024-03-01"], sink: .ndjson, output: output)
        #expect(summary.exitStatus == .success, "\(summary.text)")
        for name in stale { #expect(!TestFiles.exists(output + "/" + name), "\(name)") }
        for name in kept { #expect(TestFiles.exists(output + "/" + name), "\(name)") }
    }

    /// Once a flat-file run's sessions file is in place, those of other forms (another sink
    /// kind's, or with or without `.gz`) are removed and said: they hold an earlier night's
    /// changes (rv71b: turning `sink.gzip` on left the plain file of the night before beside
    /// the new `.gz`, and a loader opening it took old versions for new). Other files stay.
    @Test func aRunRemovesTheSessionsFilesOfOtherForms() throws {
        let folder = TestFiles.temporaryFolder("run-other-forms")
        defer { TestFiles.remove(folder) }
        for day in ["01", "02"] {
            TestFiles.write(folder + "/ev-2024-03-\(day).ndjson", #"{"event":"PageView","timestamp":"2024-03-\#(day)T10:00:00Z","anonymous_id":"v\#(day)","url":"/"}"# + "\n")
        }
        func pipeline(gzip: Bool) -> String {
            TestFiles.write(folder + "/pipeline.yaml", "sources:\n  - kind: ndjson\n    paths: [\"ev-{date}.ndjson\"]\nsink:\n  kind: ndjson\n  output: out\n  gzip: \(gzip)\n")
            return folder + "/pipeline.yaml"
        }
        let output = folder + "/out"
        let plain = try RunsOverTimeTests.run(pipeline(gzip: false), days: ["2024-03-01"], sink: .ndjson, output: output)
        #expect(plain.exitStatus == .success && plain.warnings.isEmpty, "\(plain.text)")
        TestFiles.write(output + "/notes.txt", "mine")
        let gzipped = try RunsOverTimeTests.run(pipeline(gzip: true), days: ["2024-03-02"], sink: .ndjson, output: output)
        #expect(gzipped.exitStatus == .success, "\(gzipped.text)")
        #expect(TestFiles.exists(output + "/sessions.ndjson.gz"))
        #expect(!TestFiles.exists(output + "/sessions.ndjson"))
        #expect(gzipped.warnings.contains { $0.hasPrefix("removed \(output)/sessions.ndjson, an earlier run's sessions in another form than this run's sessions.ndjson.gz") }, "\(gzipped.warnings)")
        // Another kind by --sink: the gzipped ndjson goes; the run's own and others' files stay.
        let csv = try RunsOverTimeTests.run(folder + "/pipeline.yaml", days: ["2024-03-02"], sink: .csv, output: output)
        #expect(TestFiles.exists(output + "/sessions.csv.gz") && !TestFiles.exists(output + "/sessions.ndjson.gz"), "\(csv.text)")
        #expect(TestFiles.exists(output + "/notes.txt") && TestFiles.exists(output + "/deleted.ndjson"))
        // A resp run writes its deletions into its stream: the deleted.ndjson of a night before
        // goes too (rv72a).
        let resp = try RunsOverTimeTests.run(folder + "/pipeline.yaml", days: ["2024-03-02"], sink: .resp, output: output)
        #expect(TestFiles.exists(output + "/redis.resp.gz") && !TestFiles.exists(output + "/deleted.ndjson") && !TestFiles.exists(output + "/sessions.csv.gz"), "\(resp.text)")
        #expect(resp.warnings.contains { $0.hasPrefix("removed \(output)/deleted.ndjson") }, "\(resp.warnings)")
    }
}
