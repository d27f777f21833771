import FunnelCore
#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress display on stderr when it is a terminal (`--progress auto`), so cron
/// mail and CI logs stay clean while people at a terminal see the run move.
///
/// The bar fills by the input bytes read (compressed bytes for a gzip file) against the
/// files' sizes when the run listed them, so it moves through a day of three large files
/// read side by side as it does through a backfill of many small ones. Until 2026-12-06 it
/// filled by files begun, and a day's files, all begun in its first second, showed a full
/// bar for the whole run. Input of unknown size (stdin, a FIFO) fills it by files.
struct Progress {
    private let enabled: Bool
    private let total: Int
    private let report: (String) -> Void
    /// The files' sizes (-1 for stdin), their sum, and the lines and bytes read of each so far.
    private let sizes: [Int64]
    private let totalBytes: Int64
    private var readOfFile: [Int64]
    private var linesOfFile: [Int]
    private var bytesRead: Int64 = 0
    private var file = 0
    private var path = ""
    private var lines = 0
    private var lastDraw = 0.0

    /// `paths` are the run's files, in file order, looked at (`stat`) when the line is drawn;
    /// without them, or with one of unknown size, the bar fills by files.
    init(mode: RunOptions.Progress, total: Int, paths: [String] = [], report: @escaping (String) -> Void) {
        enabled = Self.draws(mode)
        self.total = total
        self.report = report
        sizes = enabled && paths.count == total ? Self.sizes(of: paths) : []
        // A known size each (a 0-byte file among others is read at once).
        totalBytes = sizes.contains(-1) ? 0 : sizes.reduce(0, +)
        readOfFile = [Int64](repeating: 0, count: sizes.count)
        linesOfFile = [Int](repeating: 0, count: enabled ? total : 0)
    }

    /// The sizes of regular files at `paths`, -1 for stdin (`-`) and anything else.
    static func sizes(of paths: [String]) -> [Int64] {
        paths.map { path in
            var info = stat()
            guard path != "-", stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return -1 }
            return Int64(info.st_size)
        }
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

    /// Counts a line of file `index`; true every 16,384 lines of that file when the line is
    /// drawn, for the reader to give the bytes read of it (`read(_:ofFile:)`). By file: files
    /// read side by side, their lines alternating, all move the bar (a count of all lines
    /// fell on the same one of two alternating files every time; a review).
    @inline(__always)
    mutating func tick(file index: Int) -> Bool {
        lines += 1
        guard enabled else { return false }
        linesOfFile[index] += 1
        return linesOfFile[index] & 0x3FFF == 0
    }

    /// `bytes` of file `index` are read (`.max` at its end: its whole size); draws the line
    /// when due.
    mutating func read(_ bytes: Int64, ofFile index: Int) {
        guard enabled else { return }
        if readOfFile.indices.contains(index) {
            let now = min(bytes, sizes[index])
            bytesRead += now - readOfFile[index]
            readOfFile[index] = now
        }
        draw(force: false)
    }

    mutating func finish() {
        if enabled { report(Self.clearLine) }
    }

    /// The bar's filled share, 0...1: of the bytes when all sizes are known, else of the files.
    var filled: Double {
        if totalBytes > 0 { return Double(bytesRead) / Double(totalBytes) }
        return total == 0 ? 1 : Double(file) / Double(total)
    }

    private mutating func draw(force: Bool) {
        guard enabled else { return }
        let now = Runner.now()
        guard force || now - lastDraw > 0.25 else { return }
        lastDraw = now
        let width = 24
        let done = min(width, Int(filled * Double(width)))
        let percent = totalBytes > 0 ? " \(min(100, Int(filled * 100)))%" : ""
        report(Self.clearLine + "[\(String(repeating: "#", count: done))\(String(repeating: ".", count: width - done))]\(percent) file \(file + 1)/\(total), \(lines) lines  \(TerminalText.oneLine(path))")
    }
}
