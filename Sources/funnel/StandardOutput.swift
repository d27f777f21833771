#if canImport(Glibc)
import Glibc
#endif
import FunnelPipeline

/// The standard output of the commands whose product it is (`validate`'s report, `inspect`'s
/// session), written with `write(2)` and checked before they exit, so that a report that
/// could not be written (a full disk, `>/dev/full`) is not exit 0 (rv75d: `validate p.yaml >
/// report.txt` passed with an empty report). A closed standard output is `/dev/null`
/// (`Funnel.main`), which takes everything: not a failure. A reader that went away (`| head
/// -1`) is not one either: the command's status stays its own.
enum StandardOutput {
    /// The first write's failure (`errno`), if any. The commands print from one thread.
    nonisolated(unsafe) private static var failure: Int32 = 0

    /// Whether SIGPIPE is ignored yet: a reader gone must give EPIPE, not kill the command
    /// with 141 (rv75g: `validate | true` exited 141; only `run` blocked the signal).
    nonisolated(unsafe) private static var pipeSignalIgnored = false

    static func print(_ text: String, terminator: String = "\n") {
        guard failure == 0 else { return }
        if !pipeSignalIgnored {
            signal(SIGPIPE, SIG_IGN)
            pipeSignalIgnored = true
        }
        let bytes = Array((text + terminator).utf8)
        bytes.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let wrote = write(1, buffer.baseAddress! + done, buffer.count - done)
                if wrote >= 0 { done += wrote; continue }
                if errno == EINTR { continue }
                failure = errno
                return
            }
        }
    }

    /// Nil when everything printed reached the output; else why not, said on stderr.
    static func finish() -> String? {
        guard failure != 0, failure != EPIPE else { return nil }
        let message = "cannot write to standard output: \(String(cString: strerror(failure)))"
        Runner.writeToStandardError("funnel: \(message)\n")
        return message
    }
}
