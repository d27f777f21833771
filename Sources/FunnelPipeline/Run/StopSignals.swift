#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM (systemd stopping a unit, `timeout`, `kill`), SIGINT (Ctrl-C) and SIGHUP (a closed
/// terminal) stop a run as their default action did, with exit status 128 + the signal (143
/// for SIGTERM) and the outputs and history as the last complete run left them, but first
/// `--summary-json` and `--metrics-file` are written to say so. Until 2026-12-06 a run stopped
/// so wrote neither: both kept the last run's figures (`funnel_exit_status 0`), and a monitor
/// that reads them saw the stopped night as the night before.
public enum StopSignals {
    /// The signals watched.
    public static let watched: [Int32] = [SIGTERM, SIGINT, SIGHUP]

    /// The watching thread, kept for the life of the process.
    nonisolated(unsafe) private static var watcher: WorkerThread?

    /// Blocks the watched signals in the calling thread and in every thread it starts after,
    /// and waits for them on a thread of its own, which calls `stop` with the signal and then
    /// ends the process with 128 + it. Called first, before the run starts its threads: a
    /// thread started before would take the signal's default action itself.
    public static func watch(_ stop: @escaping @Sendable (Int32) -> Void) {
        guard watcher == nil else { return }
        var set = sigset_t()
        sigemptyset(&set)
        for signal in watched { sigaddset(&set, signal) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let waiting = set
        watcher = try? WorkerThread(name: "funnel-signals", stackBytes: 1 << 20) {
            var set = waiting
            var signal: Int32 = 0
            while sigwait(&set, &signal) != 0 {}
            stop(signal)
            _exit(128 + signal)
        }
        if watcher == nil {
            // No thread for it: the default actions again, as before 2026-12-06.
            pthread_sigmask(SIG_UNBLOCK, &set, nil)
        }
    }

    /// One writer at a time of the files a monitor reads (`Metrics`, `SummaryFile`): a signal
    /// that comes as the run writes them waits for that write, and then replaces them; the
    /// run's thread that would write them after it waits until the process ends. (Both write
    /// through one temporary name, `<file>.tmp-<pid>`.)
    static func writingReport<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(reportLock)
        defer { pthread_mutex_unlock(reportLock) }
        return try body()
    }

    nonisolated(unsafe) private static let reportLock: UnsafeMutablePointer<pthread_mutex_t> = {
        let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
        return lock
    }()

    /// The signal's name, as `kill -l` gives it.
    public static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGHUP: "SIGHUP"
        default: "signal \(signal)"
        }
    }
}
