import Foundation
import FunnelPipeline
import FunnelTestSupport
import Testing

/// A run stopped by a signal (systemd's SIGTERM, a closed terminal's SIGHUP) ends as the
/// signal's default action did, 128 + the signal, but says so first in the files a monitor
/// reads (`StopSignals`): until 2026-12-06 both kept the last run's figures, exit status 0.
@Suite(.serialized)
struct StopSignalTests {
    static let pipeline = CommandLineTests.fixture("seed_mvp")

    /// A successful run into `folder` with `--metrics-file`; the metrics' last-success line.
    private func firstRun(_ folder: String) throws -> Substring {
        let binary = CommandLineTests.binary
        try #require(TestFiles.exists(binary), "no funnel executable at \(binary)")
        let first = try CommandRunner.run(binary, ["run", Self.pipeline, "--output", folder + "/out", "--progress", "never", "--metrics-file", folder + "/funnel.prom"],
                                          environment: ["REDIS_PASSWORD": nil])
        try #require(first.status == 0, "\(first)")
        let metrics = try #require(TestFiles.readText(folder + "/funnel.prom"))
        return try #require(metrics.split(separator: "\n").first { $0.hasPrefix("funnel_last_success_timestamp_seconds") })
    }

    /// A run blocked reading its input (a FIFO nobody writes but the shell, whose end the
    /// run does not inherit, so that a run left behind by a failed test reads its end and
    /// finishes: the run lock taken, its outputs open), with `stderr` as its
    /// standard error's redirection, sent `signals` in turn once its signal thread is up
    /// (`setup` runs first, `beforeSignals` just before them); what the shell says of it
    /// ("status N") on standard output.
    private func stoppedRun(_ folder: String, signals: [Int32], stderr: String = "2>stderr", progress: String = "never",
                            setup: String = "", beforeSignals: String = "", options: String = "") throws -> CommandResult {
        let script = """
            cd '\(folder)' && mkfifo input.ndjson && exec 3<>input.ndjson
            \(setup)
            '\(CommandLineTests.binary)' run '\(Self.pipeline)' --input input.ndjson --input-kind ndjson --output out --progress \(progress) --metrics-file funnel.prom --summary-json summary.json \(options) \(stderr) 3<&- &
            pid=$!
            \(Self.poll("grep -qs funnel-signals /proc/$pid/task/*/comm", "the signal thread"))
            \(beforeSignals)
            \(signals.map { "kill -\($0) $pid; sleep 0.2" }.joined(separator: "\n"))
            wait $pid
            echo "status $?"
            """
        let run = try CommandRunner.run("/bin/sh", ["-c", script], environment: ["REDIS_PASSWORD": nil], timeout: .seconds(120))
        #expect(!run.timedOut && !run.stdout.contains("not seen: "), "\(run)")
        return run
    }

    /// Shell lines that wait up to 30 s for `condition` (a command), every 10 ms, and say
    /// "not seen: `what`" if it never held, which the tests check for: a poll that ran out
    /// went on unsaid (rv79a).
    private static func poll(_ condition: String, _ what: String) -> String {
        "for i in $(seq 1 3000); do \(condition) && break; sleep 0.01; done; \(condition) || echo \"not seen: \(what)\""
    }

    /// What the files a monitor reads say after a run `signal` stopped.
    private func expectStopped(_ folder: String, by signal: Int32, lastSuccess: Substring) {
        let name = StopSignals.name(signal)
        let metrics = TestFiles.readText(folder + "/funnel.prom") ?? ""
        #expect(metrics.contains("funnel_exit_status{pipeline=\"\(Self.pipeline)\"} \(128 + signal)\n"), "\(metrics)")
        #expect(metrics.contains(lastSuccess + "\n"), "the last success is kept: \(metrics)")
        let json = TestFiles.readText(folder + "/summary.json") ?? ""
        #expect(json.contains("\"exit_status\":\(128 + signal)") && json.contains("stopped by \(name)"), "\(json)")
    }

    @Test(arguments: [SIGTERM, SIGHUP])
    func aStoppedRunSaysSoInItsMetricsAndSummary(signal: Int32) throws {
        let folder = TestFiles.temporaryFolder("stop-signal")
        defer { TestFiles.remove(folder) }
        let lastSuccess = try firstRun(folder)
        let sessions = TestFiles.readText(folder + "/out/sessions.ndjson")
        let stopped = try stoppedRun(folder, signals: [signal])
        #expect(stopped.stdout.contains("status \(128 + signal)"), "\(stopped)")
        let name = StopSignals.name(signal)
        #expect(TestFiles.readText(folder + "/stderr")?.contains("funnel: stopped by \(name) before its end") == true)
        expectStopped(folder, by: signal, lastSuccess: lastSuccess)
        #expect(TestFiles.readText(folder + "/out/sessions.ndjson") == sessions)
    }

    /// How a run is started that its stop must come through (each found by a review of
    /// 2026-12-06), stopped by SIGTERM in the end:
    enum Start: String, CaseIterable, Sendable {
        /// A signal ignored at the start (`nohup`'s SIGHUP; here `trap ''`), sent first,
        /// stays ignored: it stopped the run (exit 129), so that `nohup funnel backfill
        /// ... &` ended with the session it was meant to outlive.
        case hangUpIgnored
        /// Standard error a pipe whose reader is gone (`funnel ... 2>&1 | tee log`, the tee
        /// ended by the same Ctrl-C), and the progress drawn on it: the run died of SIGPIPE
        /// (exit 141) at the next write of any thread, neither file written.
        case standardErrorGone
        /// No standard error (`2>&-`): the stop was written into the first file the run
        /// opened in its place, the run lock.
        case standardErrorClosed
    }

    @Test(arguments: Start.allCases)
    func aStoppedRunSaysSoHoweverItWasStarted(_ start: Start) throws {
        let folder = TestFiles.temporaryFolder("stop-\(start.rawValue)")
        defer { TestFiles.remove(folder) }
        let lastSuccess = try firstRun(folder)
        let stopped = switch start {
        case .hangUpIgnored: try stoppedRun(folder, signals: [SIGHUP, SIGTERM], setup: "trap '' HUP")
        case .standardErrorGone: try stoppedRun(folder, signals: [SIGTERM], stderr: "2>errors", progress: "always",
                                                setup: "mkfifo errors; cat errors > /dev/null & reader=$!",
                                                beforeSignals: "kill $reader; wait $reader; sleep 1.5")
        // Once the run holds the lock and names itself in it (signalled before, as until CI
        // of 2026-12-07, the lock's file was not yet the stop's to write into, and a signal
        // while the lock was being written left the file empty).
        case .standardErrorClosed: try stoppedRun(folder, signals: [SIGTERM], stderr: "2>&-",
                                                  beforeSignals: Self.poll("grep -qs ' pid '$pid' since ' out/funnel.lock", "the lock naming the run"))
        }
        #expect(stopped.stdout.contains("status 143"), "\(stopped)")
        expectStopped(folder, by: SIGTERM, lastSuccess: lastSuccess)
        // The lock file stays, naming its last holder (the kernel released the lock itself).
        // Its first line, which a refused run quotes: a stop between the holder's write and the
        // cut to its length may leave the tail of a longer last holder's line after it (rv79a).
        let lock = TestFiles.readText(folder + "/out/funnel.lock") ?? ""
        let holder = lock.split(separator: "\n", omittingEmptySubsequences: false).first ?? ""
        #expect(holder.hasSuffix(", a run") && holder.contains(" pid ") && !lock.contains("stopped"), "\(lock)")
    }

    /// A Redis run stopped by a signal releases its `funnel:lock` on a connection of its own,
    /// so the next run, from any host, takes it at once (until 2026-12-06 it was left as a
    /// kill leaves it: a run of another host was refused until it expired, a day later).
    @Test func aStoppedRedisRunReleasesItsLock() throws {
        let folder = TestFiles.temporaryFolder("stop-redis")
        defer { TestFiles.remove(folder) }
        let server = try RedisServer()
        defer { server.stop() }
        let lastSuccess = try firstRun(folder)
        let held = "redis-cli -p \(server.port) exists funnel:lock"
        let stopped = try stoppedRun(folder, signals: [SIGTERM],
                                     beforeSignals: "for i in $(seq 1 1000); do [ \"$(\(held))\" = 1 ] && break; sleep 0.01; done; echo \"held $(\(held))\"",
                                     options: "--sink redis --redis-url \(server.url)")
        #expect(stopped.stdout.contains("held 1") && stopped.stdout.contains("status 143"), "\(stopped)")
        expectStopped(folder, by: SIGTERM, lastSuccess: lastSuccess)
        #expect(try server.keys(matching: "funnel:lock").isEmpty, "\(stopped)")
    }

    /// A signal after the run's end, while its last words wait on a stderr nobody reads
    /// (a usage error told into a full pipe): the process ends two seconds later with the
    /// signal's status, its files as the run wrote them (until a review of 2026-12-06 only
    /// SIGKILL ended it).
    @Test func aSignalAfterTheEndStillEndsAProcessStuckOnItsLastWords() throws {
        let folder = TestFiles.temporaryFolder("stop-after-end")
        defer { TestFiles.remove(folder) }
        let script = """
            cd '\(folder)' && mkfifo errors && exec 4<>errors
            head -c 65536 /dev/zero >&4
            '\(CommandLineTests.binary)' run '\(Self.pipeline)' --input-kind ndjson --output out --metrics-file funnel.prom 2>errors 4<&- &
            pid=$!
            \(Self.poll("grep -qs pipe_write /proc/$pid/wchan", "the run blocked on stderr"))
            kill -TERM $pid
            wait $pid
            echo "status $?"
            """
        let run = try CommandRunner.run("/bin/sh", ["-c", script], environment: ["REDIS_PASSWORD": nil], timeout: .seconds(120))
        #expect(!run.timedOut && run.stdout.contains("status 143") && !run.stdout.contains("not seen: "), "\(run)")
        // The usage error's record, written before the end: exit status 1.
        #expect(TestFiles.readText(folder + "/funnel.prom")?.contains("funnel_exit_status{pipeline=\"\(Self.pipeline)\"} 1\n") == true)
    }
}
