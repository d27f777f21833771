import FunnelWriters
#if canImport(Glibc)
import Glibc
#endif

/// `--metrics-file`: the run in Prometheus text format, for node_exporter's textfile
/// collector. The file is replaced atomically; `funnel_last_success_timestamp_seconds` keeps
/// its previous value when a run fails, so an alert can fire on its age, and when a run is a
/// `--dry-run`, which loads nothing (until 2026-12-06 a dry run moved it forward and said its
/// sessions written: a dry run given the nightly's metrics file hid a failed night from the
/// staleness alert). `funnel_dry_run` says which a run was.
public enum Metrics {
    public static func write(_ summary: RunSummary, pipeline: String, to path: String, now: Int64 = Int64(time(nil))) throws(PipelineError) {
        let path = try SummaryFile.target(path, option: "--metrics-file")
        var lastSuccess = now
        var exitStatus = String(summary.exitCode)
        if summary.exitStatus != .success || summary.dryRun {
            lastSuccess = 0
            if let text = PipelineLoader.readText(path) {
                for line in text.split(separator: "\n") {
                    if line.hasPrefix("funnel_last_success_timestamp_seconds") {
                        lastSuccess = Int64(line.split(separator: " ").last ?? "") ?? 0
                    }
                    // A dry run keeps the last real run's status too: an alert on a failed
                    // night must not be cleared by a dry run after it.
                    if summary.dryRun, line.hasPrefix("funnel_exit_status"), let status = line.split(separator: " ").last, Int(status) != nil {
                        exitStatus = String(status)
                    }
                }
            }
        }
        let label = "{pipeline=\"\(pipeline.replacingQuotes)\"}"
        var text = ""
        func metric(_ name: String, _ help: String, _ type: String, _ value: String) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name)\(label) \(value)\n"
        }
        metric("funnel_lines_read", "Input lines read by the last run.", "gauge", String(summary.linesRead))
        metric("funnel_lines_kept", "Lines kept as records by the last run.", "gauge", String(summary.kept))
        metric("funnel_lines_filtered", "Lines dropped on purpose (bots, assets, ...) by the last run.", "gauge", String(summary.filteredTotal))
        metric("funnel_records_combined", "Records merged, de-duplicated or over the cap in the rebuilt visitors' sessions by the last run.", "gauge", String(summary.combinedTotal))
        metric("funnel_lines_rejected", "Malformed lines rejected by the last run.", "gauge", String(summary.rejectedTotal))
        metric("funnel_sessions_written", "Sessions written by the last run (none by a dry run).", "gauge", String(summary.dryRun ? 0 : summary.sessions))
        metric("funnel_sessions_deleted", "Sessions deleted by the last run.", "gauge", String(summary.deletedSessions))
        metric("funnel_run_duration_seconds", "Duration of the last run.", "gauge", String(summary.seconds))
        metric("funnel_exit_status", "Exit status of the last run (0 success); a dry run keeps the one before it.", "gauge", exitStatus)
        metric("funnel_dry_run", "1 when the last run was a --dry-run, which writes nothing.", "gauge", summary.dryRun ? "1" : "0")
        if lastSuccess > 0 {
            metric("funnel_last_success_timestamp_seconds", "When a run last succeeded (epoch seconds).", "gauge", String(lastSuccess))
        }
        do {
            try StopSignals.writingReport { () throws(SinkError) in
                try AtomicFile.write(text.utf8, to: path)
            }
        } catch {
            throw PipelineError("cannot write --metrics-file \(path): \(error.message)")
        }
    }
}

extension String {
    var replacingQuotes: String {
        String(flatMap { $0 == "\"" || $0 == "\\" ? ["\\", $0] : [$0] })
    }
}
