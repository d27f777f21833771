import FunnelWriters

/// The exit statuses of `funnel run` (SPEC 9), for cron jobs and CI to branch on.
public enum ExitStatus: Int32, Sendable {
    case success = 0
    /// Usage or pipeline error: nothing was read or written.
    case pipelineError = 1
    /// An input was damaged, or the share of rejected lines exceeded `--max-reject-rate`.
    /// Everything readable was still processed and written.
    case inputDamaged = 2
    /// The sink failed after retries.
    case sinkFailure = 3

    /// The status of a run `failure` stopped: the sink's, but for a damaged history
    /// (`SinkError.historyDamaged`), which a re-run cannot mend: a pipeline error.
    init(stoppedBy failure: SinkError) {
        self = failure.historyDamaged ? .pipelineError : .sinkFailure
    }
}
