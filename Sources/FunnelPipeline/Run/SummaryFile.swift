#if canImport(Glibc)
import Glibc
#endif
import FunnelCore
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
    public static func checkWritable(_ given: String, option: String = "--summary-json") throws(PipelineError) {
        let path = try target(given, option: option)
        let shown = path == given ? given : "\(given) (a link to \(path))"
        let folder = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        // A file written and removed beside it, not `access`: a folder in the path that is a
        // file, or a disk already full, passed `access` and failed the write after the run,
        // whose outputs were then written and its exit 1 (a review of 2026-12-05's night).
        let probe = (folder.isEmpty ? "" : folder) + "/.funnel-check-\(getpid())"
        // Not `O_EXCL`: a probe a killed run of the same pid left is taken (a container
        // whose funnel is always one pid was refused every night; a review); no link followed.
        let fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw PipelineError("cannot write \(option) \(shown): \(String(cString: strerror(errno)))")
        }
        let block = [UInt8](repeating: 0x0A, count: 4096)
        let written = block.withUnsafeBytes { Glibc.write(fd, $0.baseAddress!, $0.count) }
        let failure = written == block.count && fsync(fd) == 0 ? nil : (written < 0 || written == block.count ? errno : ENOSPC)
        close(fd)
        unlink(probe)
        if let failure {
            throw PipelineError("cannot write \(option) \(shown): \(String(cString: strerror(failure)))")
        }
    }

    /// The warning for a file (`--summary-json`, `--metrics-file`) that could not be written
    /// after the run: the disk's message without its advice to run the same days again (the
    /// run is done, and a re-run would write none of its sessions again), and the run's status.
    public static func afterTheRun(_ message: String, exitStatus: ExitStatus) -> String {
        let cause = message.components(separatedBy: "; free space on that disk").first ?? message
        return "\(cause); the run's outputs and history are written and its exit status is \(exitStatus.rawValue)"
    }

    /// The file a path names, links followed (up to 16, each relative to its own folder),
    /// which is the one replaced: a link (`/var/lib/node_exporter/funnel.prom` pointing into
    /// another folder, say) stays a link. Until 2026-12-06 the link itself was replaced by a
    /// regular file, and the file it pointed to kept the run before's figures. Refused: an
    /// empty path, a folder, anything but a regular file (a device, a FIFO: the file is
    /// replaced whole, and as root `/dev/stdout`, or a link to `/dev/null`, became a regular
    /// file; a review), and links that never end. Every write of the file goes through it,
    /// the failed run's record of a path refused at the start included.
    static func target(_ given: String, option: String) throws(PipelineError) -> String {
        guard !given.isEmpty else { throw PipelineError("cannot write \(option) \(given): the path is empty") }
        var info = stat()
        // `stat` of the path as given follows its links the kernel's way (`/dev/stdout`'s
        // `/proc` links included).
        if stat(given, &info) == 0 {
            let kind = info.st_mode & S_IFMT
            if kind == S_IFDIR { throw PipelineError("cannot write \(option) \(given): it is a folder") }
            if kind != S_IFREG {
                throw PipelineError("cannot write \(option) \(given): it is not a regular file, and the file is written by replacing it whole; give the path of a file")
            }
        } else if errno == ELOOP {
            throw PipelineError("cannot write \(option) \(given): \(String(cString: strerror(ELOOP)))")
        }
        var path = given
        for _ in 0..<16 {
            guard let target = SymbolicLink.target(of: path) else { return path }
            if target.hasPrefix("/") {
                path = target
            } else {
                path = (path.lastIndex(of: "/").map { String(path[...$0]) } ?? "") + target
            }
        }
        throw PipelineError("cannot write \(option) \(given): \(String(cString: strerror(ELOOP)))")
    }

    public static func write(_ summary: RunSummary, to path: String) throws(PipelineError) {
        let path = try target(path, option: "--summary-json")
        do {
            try StopSignals.writingReport { () throws(SinkError) in
                try AtomicFile.write(summary.json, to: path)
            }
        } catch {
            throw PipelineError("cannot write --summary-json \(path): \(error.message)")
        }
    }
}
