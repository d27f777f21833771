import FunnelWriters
#if canImport(Glibc)
import Glibc
#endif

/// `Writeback` of a file another library writes (SQLite's database file), through a
/// descriptor of its own, at most once per `interval` seconds.
final class PathWriteback {
    private let fd: Int32
    private let interval: Double
    private var last = 0.0

    /// Nil when the file cannot be opened (then nothing is started, and the fsync does it all).
    init?(path: String, interval: Double = 1) {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        self.interval = interval
    }

    deinit { close(fd) }

    /// Starts writing the whole file's dirty pages if `interval` has passed since the last
    /// time, or at once with `force`.
    func start(force: Bool = false) {
        let now = Runner.now()
        guard force || now - last >= interval else { return }
        last = now
        Writeback.start(fd)
    }
}
