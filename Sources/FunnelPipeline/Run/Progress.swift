#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress display on stderr when it is a terminal (`--progress auto`), so cron
/// mail and CI logs stay clean while people at a terminal see the run move.
struct Progress {
    private let enabled: Bool
    private let total: Int
    private let report: (String) -> Void
    private var file = 0
    private var path = ""
    private var lines = 0
    private var lastDraw = 0.0

    init(mode: RunOptions.Progress, total: Int, report: @escaping (String) -> Void) {
        switch mode {
        case .always: enabled = true
        case .never: enabled = false
        case .auto: enabled = isatty(2) != 0
        }
        self.total = total
        self.report = report
    }

    mutating func startFile(_ index: Int, path: String) {
        file = index
        self.path = path
        draw(force: true)
    }

    @inline(__always)
    mutating func tick() {
        lines += 1
        if enabled && lines & 0xFFFF == 0 { draw(force: false) }
    }

    mutating func finish() {
        if enabled { report("\r\u{1B}[K") }
    }

    private mutating func draw(force: Bool) {
        guard enabled else { return }
        let now = Runner.now()
        guard force || now - lastDraw > 0.25 else { return }
        lastDraw = now
        let width = 24
        let done = total == 0 ? width : file * width / total
        report("\r\u{1B}[K[\(String(repeating: "#", count: done))\(String(repeating: ".", count: width - done))] file \(file + 1)/\(total), \(lines) lines  \(path)")
    }
}
