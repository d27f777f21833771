#if canImport(Glibc)
import Glibc
#endif
import FunnelWriters

/// A thread running one closure, joined once. Named (`funnel-read`, `funnel-flush`, ...) so
/// that `top -H`, `perf` and debuggers tell the stages apart; Linux takes names of at most
/// 15 bytes and leaves a longer one unset.
///
/// A thread the system will not start (no address space left for its stack under `ulimit -v`,
/// or the process's thread limit reached) is an error that ends the run, never a closure run in
/// place: most bodies are a stage's consumer loop, which run on the thread that feeds them
/// would wait forever for their first item (until 2026-12-03 such a run hung).
final class WorkerThread: @unchecked Sendable {
    private final class Body {
        let name: String
        let run: () -> Void
        init(_ name: String, _ run: @escaping () -> Void) {
            self.name = name
            self.run = run
        }
    }

    private var thread = pthread_t()
    private var joined = false

    /// Each thread's stack. The default (the shell's `ulimit -s`, 8 MiB here) is reserved
    /// address space per thread, and a run under an address-space limit (`ulimit -v`, a
    /// container's) counted five or six of them: at 150 MiB, SQLite's allocations then failed
    /// ("out of memory") once a few more threads were alive. The stages' deepest calls (SQLite,
    /// the planner) use far less than this.
    static let stackBytes = 2 << 20

    /// Names of threads to refuse, from `FUNNEL_REFUSE_THREADS` (comma-separated), read once:
    /// how the tests make each stage meet a thread that cannot be started, in the real binary.
    /// Unset in every real run.
    static let refused: Set<Substring> = {
        guard let value = getenv("FUNNEL_REFUSE_THREADS") else { return [] }
        return Set(String(cString: value).split(separator: ","))
    }()

    /// Starts `body` on a new thread of `stackBytes` of stack, or throws when the system
    /// refuses one (`body` then never runs).
    init(name: String, stackBytes: Int = WorkerThread.stackBytes, _ body: @escaping () -> Void) throws(SinkError) {
        let box = Unmanaged.passRetained(Body(name, body)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, stackBytes)
        let started = Self.refused.contains(Substring(name)) ? EAGAIN : pthread_create(&thread, &attributes, { raw in
            let body = Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue()
            WorkerThread.nameThisThread(body.name)
            body.run()
            return nil
        }, box)
        if started != 0 {
            Unmanaged<Body>.fromOpaque(box).release()
            joined = true
            throw SinkError("could not start thread \(name): \(String(cString: strerror(started))); "
                + "the run needs more address space (`ulimit -v`: each thread reserves \(stackBytes >> 20) MiB of stack) "
                + "or a higher limit on threads (`ulimit -u`)")
        }
    }

    /// Through `/proc` (`pthread_setname_np` is not in Swift's Glibc module); a name that
    /// cannot be set is only a missing label.
    private static func nameThisThread(_ name: String) {
        let file = open("/proc/thread-self/comm", O_WRONLY)
        guard file >= 0 else { return }
        _ = name.withCString { write(file, $0, strlen($0)) }
        close(file)
    }

    func join() {
        guard !joined else { return }
        joined = true
        pthread_join(thread, nil)
    }
}
