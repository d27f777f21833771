/// The place a record was read from, as text that sorts in the order a single run over all
/// days would read it: source, path pattern, day, file name, line (SPEC 4 and 10).
///
/// The same line read again (a repeated night, an overlapping backfill) has the same position,
/// which is how history stores each record once. A file is named by its path below the
/// pattern's fixed folders (`InputFile.positionName`): its base name when the pattern's
/// wildcards are in the file name, so moving logs to an archive folder does not make them new;
/// dated file names (logrotate's `dateext`) keep positions stable, numbered rotation
/// (`access.log.1`) does not.
public enum RecordPosition {
    public static func make(source: Int, pattern: Int, day: Int?, path: String, line: Int) -> String {
        make(prefix: prefix(source: source, pattern: pattern, day: day, path: path), line: line)
    }

    /// Everything of a position but the line number: the same for every line of a file, so a
    /// reader makes it once per file rather than once per line.
    public static func prefix(source: Int, pattern: Int, day: Int?, path: String) -> String {
        prefix(source: source, pattern: pattern, day: day, name: fileName(of: path))
    }

    /// `prefix` with the file's name in positions given (`InputFile.positionName`).
    public static func prefix(source: Int, pattern: Int, day: Int?, name: String) -> String {
        pad(source, 3) + pad(pattern, 3) + pad(day ?? 0, 6) + "|" + name + "|"
    }

    /// The part of a path that names its file in a position: the base name.
    public static func fileName(of path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// `prefix` followed by the line number padded to ten digits (more when it has more),
    /// written into the new string's storage at once: one per kept line.
    public static func make(prefix: String, line: Int) -> String {
        var prefix = prefix
        return prefix.withUTF8 { head in
            withLine(line) { zeros, digits in
                String(unsafeUninitializedCapacity: head.count + zeros + digits.count) { buffer in
                    _ = buffer.initialize(fromContentsOf: head)
                    UnsafeMutableBufferPointer(rebasing: buffer[head.count..<(head.count + zeros)]).initialize(repeating: UInt8(ascii: "0"))
                    _ = UnsafeMutableBufferPointer(rebasing: buffer[(head.count + zeros)...]).initialize(fromContentsOf: digits)
                    return head.count + zeros + digits.count
                }
            }
        }
    }

    /// Calls `body` with the line number's digits and the zeros that go before them: ten
    /// digits in all, more when the number has more. What `make` writes after the prefix, and
    /// `RecordCoding.encode(pageView:)` too.
    @inline(__always)
    static func withLine<R>(_ line: Int, _ body: (_ zeros: Int, _ digits: UnsafeBufferPointer<UInt8>) -> R) -> R {
        DecimalText.withBytes(of: max(line, 0)) { digits in body(max(0, 10 - digits.count), digits) }
    }

    /// Whether position `a` was read before `b`: their bytes in order, with the `|` that ends a
    /// file's name below every other byte, so a name ends before any longer name it begins
    /// (`ev.ndjson|` before `ev.ndjson.1|`, as the files were listed). Plain string order put
    /// `|` after `.`, and until 2026-12-05 ties in time and duplicate event ids went to the
    /// later file.
    public static func precedes(_ a: String, _ b: String) -> Bool {
        var left = a.utf8.makeIterator()
        var right = b.utf8.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return false
            case (nil, _): return true
            case (_, nil): return false
            case (let x?, let y?):
                if x == y { continue }
                return (x == UInt8(ascii: "|") ? 0 : x) < (y == UInt8(ascii: "|") ? 0 : y)
            }
        }
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(max(value, 0))
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
