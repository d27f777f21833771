#if canImport(Glibc)
import Glibc
#endif
import FunnelWriters

/// `--summary-json FILE`: the run summary as JSON, replaced atomically like every output.
public enum SummaryFile {
    /// Checked before the run reads anything: a path the summary cannot be written to stops
    /// the run at its start (exit 1, nothing written), as every usage error does. Until
    /// 2026-12-05 it was found after the sessions and the history were written, and the run
    /// that had written them exited 1.
    /// The same check serves `--metrics-file` (`option`): until 2026-12-05 a metrics path
    /// that could not be written was a problem line after the run, and the run exited 0 with
    /// nothing for the monitor to read.
    public static func checkWritable(_ path: String, option: String = "--summary-json") throws(PipelineError) {
        let folder = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        var info = stat()
        if path.isEmpty || (stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR) {
            throw PipelineError("cannot write \(option) \(path): \(path.isEmpty ? "the path is empty" : "it is a folder")")
        }
        guard access(folder.isEmpty ? "/" : folder, W_OK) == 0 else {
            throw PipelineError("cannot write \(option) \(path): \(String(cString: strerror(errno)))")
        }
    }

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
