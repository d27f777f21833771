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
        enabled = Self.draws(mode)
        self.total = total
        self.report = report
    }

    /// Whether `mode` draws the line; other messages written while it does start by clearing
    /// it (`clearLine`), or they would land after the line's text.
    static func draws(_ mode: RunOptions.Progress) -> Bool {
        switch mode {
        case .always: true
        case .never: false
        case .auto: isatty(2) != 0
        }
    }

    static let clearLine = "\r\u{1B}[K"

    /// A file begins: shown at once if nothing was drawn yet, else at the next draw, at most
    /// four a second (one a file wrote 1.26 MB to a cron log for a day of 10,000 files; a
    /// review).
    mutating func startFile(_ index: Int, path: String) {
        file = index
        self.path = path
        draw(force: lastDraw == 0)
    }

    @inline(__always)
    mutating func tick() {
        lines += 1
        if enabled && lines & 0xFFFF == 0 { draw(force: false) }
    }

    mutating func finish() {
        if enabled { report(Self.clearLine) }
    }

    private mutating func draw(force: Bool) {
        guard enabled else { return }
        let now = Runner.now()
        guard force || now - lastDraw > 0.25 else { return }
        lastDraw = now
        let width = 24
        let done = total == 0 ? width : file * width / total
        report(Self.clearLine + "[\(String(repeating: "#", count: done))\(String(repeating: ".", count: width - done))] file \(file + 1)/\(total), \(lines) lines  \(path)")
    }
}
