/// The place a record was read from, as text that sorts in the order a single run over all
/// days would read it: source, path pattern, day, file name, line (SPEC 4 and 10).
///
/// The same line read again (a repeated night, an overlapping backfill) has the same position,
/// which is how history stores each record once. The file's base name is used rather than its
/// full path, so moving logs to an archive folder does not make them new; dated file names
/// (logrotate's `dateext`) keep positions stable, numbered rotation (`access.log.1`) does not.
public enum RecordPosition {
    public static func make(source: Int, pattern: Int, day: Int?, path: String, line: Int) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return pad(source, 3) + pad(pattern, 3) + pad(day ?? 0, 6) + "|" + name + "|" + pad(line, 10)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(max(value, 0))
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
