#if canImport(Glibc)
import Glibc
#endif
import Synchronization

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
    /// and waits for them on a thread of its own, which, unless the run has ended (`end`),
    /// calls `stop` with the signal and then ends the process with 128 + it. Called first,
    /// before the run starts its threads: a thread started before would take the signal's
    /// default action itself. A signal the process was started with ignored (`nohup`'s
    /// SIGHUP, SIGINT for a shell's background job) is left ignored: a blocked signal is
    /// queued even so, and until a review of 2026-12-06 `nohup funnel backfill ... &` was
    /// stopped by the logout it was meant to outlive.
    public static func watch(_ stop: @escaping @Sendable (Int32) -> Void) {
        guard watcher == nil else { return }
        var set = sigset_t()
        sigemptyset(&set)
        for signal in watched where !isIgnored(signal) { sigaddset(&set, signal) }
        let waiting = set
        // SIGPIPE is blocked too, in every thread, and never waited for: a write to a pipe
        // whose reader is gone (`funnel ... 2>&1 | tee`, the tee ended by the same Ctrl-C)
        // fails instead of ending the process. Blocked in the signal thread alone (a review
        // of 2026-12-06), the progress or the summary written by another thread in that
        // moment still ended it with 141 while the files were being written.
        sigaddset(&set, SIGPIPE)
        // SIGXFSZ the same way: a write past `ulimit -f` fails (EFBIG) and is said as a sink
        // that cannot write, exit 3, the summary written, instead of ending the process
        // without a word with 153 (a review of 2026-12-06).
        sigaddset(&set, SIGXFSZ)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        watcher = try? WorkerThread(name: "funnel-signals", stackBytes: 1 << 20) {
            var set = waiting
            var signal: Int32 = 0
            while sigwait(&set, &signal) != 0 {}
            // Held to the end: the run's thread neither writes the files after this nor
            // ends the process with its own status. If the run got to `end` first, the
            // process is on its way out with its own status, and the signal waits for it;
            // only if it has not gone within two seconds (a last write to a stderr nobody
            // reads) does the signal end it, files untouched (a review of 2026-12-06: only
            // SIGKILL ended such a run).
            if ended.load(ordering: .acquiring) {
                var deadline = timespec()
                clock_gettime(CLOCK_REALTIME, &deadline)
                deadline.tv_sec += 2
                if pthread_mutex_timedlock(reportLock, &deadline) != 0 { _exit(128 + signal) }
            } else {
                pthread_mutex_lock(reportLock)
            }
            stop(signal)
            for action in stopActions.withLock({ Array($0.values) }) { action() }
            _exit(128 + signal)
        }
        if watcher == nil {
            // No thread for it: the default actions again, as before 2026-12-06.
            pthread_sigmask(SIG_UNBLOCK, &set, nil)
        }
    }

    /// What a stopped run undoes after its files and message, before it ends (`atStop`).
    private static let stopActions = Mutex<[Int: @Sendable () -> Void]>([:])
    private static let lastAction = Atomic<Int>(0)

    /// Registers `action` to run when a signal stops the run, after its files are written:
    /// a Redis run's lock, which a stopped run kept (until 2026-12-06; another host's next
    /// run was refused until it expired a day later). Returns the key `cancelAtStop` takes
    /// once the run has undone it itself.
    public static func atStop(_ action: @escaping @Sendable () -> Void) -> Int {
        let key = lastAction.add(1, ordering: .relaxed).newValue
        stopActions.withLock { $0[key] = action }
        return key
    }

    public static func cancelAtStop(_ key: Int) {
        _ = stopActions.withLock { $0.removeValue(forKey: key) }
    }

    /// Set by `end`, before it takes the report lock for good.
    private static let ended = Atomic<Bool>(false)

    /// Marks the run's end, after its last write of the files a monitor reads: a signal
    /// that comes after it is left to wait while the process exits with the run's status.
    /// Until a review of 2026-12-06 a signal at the very end could be said on stderr and in
    /// one of the two files while the other said the run's own end.
    public static func end() {
        guard watcher != nil else { return }
        ended.store(true, ordering: .releasing)
        pthread_mutex_lock(reportLock)
    }

    /// One writer at a time of the files a monitor reads (`Metrics`, `SummaryFile`): a signal
    /// that comes as the run writes one waits for that write, and then replaces both. The
    /// lock is recursive: the signal's thread holds it while it writes them.
    static func writingReport<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(reportLock)
        defer { pthread_mutex_unlock(reportLock) }
        return try body()
    }

    nonisolated(unsafe) private static let reportLock: UnsafeMutablePointer<pthread_mutex_t> = {
        let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(lock, &attributes)
        pthread_mutexattr_destroy(&attributes)
        return lock
    }()

    /// Whether the process was started with `signal` ignored.
    private static func isIgnored(_ signal: Int32) -> Bool {
        var current = sigaction()
        guard sigaction(signal, nil, &current) == 0 else { return false }
        return unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self)
    }

    /// Writes `text` to standard error if it can be written at once (within 0.1 s): a
    /// stopped run's last words must not keep it from ending when nobody reads them.
    public static func say(_ text: String) {
        var ready = pollfd(fd: 2, events: Int16(POLLOUT), revents: 0)
        guard poll(&ready, 1, 100) == 1, ready.revents & Int16(POLLOUT) != 0 else { return }
        Runner.writeToStandardError(text)
    }

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
