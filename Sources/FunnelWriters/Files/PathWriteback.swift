#if canImport(Glibc)
import Glibc
#endif

/// Writeback of a file another library writes (SQLite's database file), through a
/// descriptor of its own, at most once per `interval` seconds.
public final class PathWriteback {
    private let fd: Int32
    private let interval: Double
    private var last = 0.0

    /// Nil when the file cannot be opened (then nothing is started, and the fsync does it all).
    public init?(path: String, interval: Double = 1) {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        self.interval = interval
    }

    deinit { close(fd) }

    /// Starts writing the whole file's dirty pages if `interval` has passed since the last
    /// time, or at once with `force`.
    public func start(force: Bool = false) {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        let now = Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
        guard force || now - last >= interval else { return }
        last = now
        Writeback.start(fd)
    }
}
