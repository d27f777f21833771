#if canImport(Glibc)
import Glibc
#endif

/// A thread running one closure, joined once. Named (`funnel-read`, `funnel-flush`, ...) so
/// that `top -H`, `perf` and debuggers tell the stages apart; Linux takes names of at most
/// 15 bytes and leaves a longer one unset.
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

    init(name: String, _ body: @escaping () -> Void) {
        let box = Unmanaged.passRetained(Body(name, body)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, Self.stackBytes)
        let started = pthread_create(&thread, &attributes, { raw in
            let body = Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue()
            WorkerThread.nameThisThread(body.name)
            body.run()
            return nil
        }, box)
        if started != 0 {
            // No thread to be had: run in place, which is only slower.
            let body = Unmanaged<Body>.fromOpaque(box).takeRetainedValue()
            joined = true
            body.run()
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
