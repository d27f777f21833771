import FunnelWriters

/// `--summary-json FILE`: the run summary as JSON, replaced atomically like every output.
public enum SummaryFile {
    public static func write(_ summary: RunSummary, to path: String) throws(PipelineError) {
        do {
            let file = try AtomicFile(path: path)
            try file.append(summary.json)
            try file.commit()
        } catch {
            throw PipelineError("cannot write --summary-json \(path): \(error.message)")
        }
    }
}
