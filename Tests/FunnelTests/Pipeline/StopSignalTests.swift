import Foundation
import FunnelPipeline
import FunnelTestSupport
import Testing

/// A run stopped by a signal (systemd's SIGTERM, a closed terminal's SIGHUP) ends as the
/// signal's default action did, 128 + the signal, but says so first in the files a monitor
/// reads (`StopSignals`): until 2026-12-06 both kept the last run's figures, exit status 0.
struct StopSignalTests {
    /// A successful run, then a run blocked reading standard input (a FIFO nobody writes) and
    /// sent the signal once its signal thread is up.
    @Test(arguments: [SIGTERM, SIGHUP])
    func aStoppedRunSaysSoInItsMetricsAndSummary(signal: Int32) throws {
        let folder = TestFiles.temporaryFolder("stop-signal")
        defer { TestFiles.remove(folder) }
        let binary = CommandLineTests.binary
        try #require(TestFiles.exists(binary), "no funnel executable at \(binary)")
        let pipeline = CommandLineTests.fixture("seed_mvp")
        let metrics = folder + "/funnel.prom", summary = folder + "/summary.json"
        let first = try CommandRunner.run(binary, ["run", pipeline, "--output", folder + "/out", "--progress", "never", "--metrics-file", metrics],
                                          environment: ["REDIS_PASSWORD": nil])
        try #require(first.status == 0, "\(first)")
        let before = try #require(TestFiles.readText(metrics))
        let lastSuccess = try #require(before.split(separator: "\n").first { $0.hasPrefix("funnel_last_success_timestamp_seconds") })
        let sessions = TestFiles.readText(folder + "/out/sessions.ndjson")

        let script = """
            cd '\(folder)' && mkfifo input && exec 3<>input
            '\(binary)' run '\(pipeline)' --input - --input-kind ndjson --output out --progress never --metrics-file funnel.prom --summary-json summary.json < input &
            pid=$!
            for i in $(seq 1 1000); do grep -qs funnel-signals /proc/$pid/task/*/comm && break; sleep 0.01; done
            kill -\(signal) $pid
            wait $pid
            echo "status $?"
            """
        let stopped = try CommandRunner.run("/bin/sh", ["-c", script], environment: ["REDIS_PASSWORD": nil], timeout: .seconds(60))
        #expect(stopped.stdout.contains("status \(128 + signal)"), "\(stopped)")
        let name = signal == SIGTERM ? "SIGTERM" : "SIGHUP"
        #expect(stopped.stderr.contains("funnel: stopped by \(name) before its end"), "\(stopped)")
        let after = TestFiles.readText(metrics) ?? ""
        #expect(after.contains("funnel_exit_status{pipeline=\"\(pipeline)\"} \(128 + signal)\n"), "\(after)")
        #expect(after.contains(lastSuccess + "\n"), "the last success is kept: \(after)")
        let json = TestFiles.readText(summary) ?? ""
        #expect(json.contains("\"exit_status\":\(128 + signal)") && json.contains("stopped by \(name)"), "\(json)")
        #expect(TestFiles.readText(folder + "/out/sessions.ndjson") == sessions)
    }
}
