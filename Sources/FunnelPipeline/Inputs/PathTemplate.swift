import FunnelCore
#if canImport(Glibc)
import Glibc
#endif

/// A path pattern from a pipeline file: globs plus `{date}` (`YYYY-MM-DD`) and
/// `{date:%Y%m%d}` placeholders, expanded for each day of the requested range (SPEC 1).
public struct PathTemplate: Sendable, Hashable {
    public let text: String

    public init(_ text: String) { self.text = text }

    public var hasDate: Bool { text.contains("{date") }

    /// The pattern with every date placeholder filled in for `day`.
    public func filled(for day: Day?) throws(PipelineError) -> String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{date") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                throw PipelineError("path '\(text)' has an unclosed {date placeholder")
            }
            let inside = rest[open.upperBound..<close]
            guard let day else {
                throw PipelineError("path '\(text)' holds a date placeholder: pass --date YYYY-MM-DD or --from/--to")
            }
            if inside.isEmpty {
                out += day.description
            } else if inside.first == ":" {
                out += day.format(String(inside.dropFirst()))
            } else {
                throw PipelineError("path '\(text)': write {date} or {date:%Y%m%d}")
            }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    /// What is wrong with the pattern's date placeholders, or nil: one not closed, one that is
    /// neither `{date}` nor `{date:FORMAT}`, an empty format, or a `%` that `Day.format`
    /// does not know (it would stay in the path as written and match no file; until
    /// 2026-12-05 the run then stopped with "no input file matched" and no word of why).
    public var dateProblem: String? {
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{date") {
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else { return "'\(text)' has an unclosed {date placeholder" }
            let inside = rest[open.upperBound..<close]
            if !inside.isEmpty {
                guard inside.first == ":" else { return "'\(text)': write {date} or {date:%Y%m%d}" }
                let format = inside.dropFirst()
                guard !format.isEmpty else { return "'\(text)': {date:} has no format; write {date} or {date:%Y%m%d}" }
                if let unknown = Day.unknownSpecifier(in: String(format)) {
                    return "'\(text)': {date:\(format)} holds \(unknown), which funnel does not fill in (it knows %Y %m %d %y %j %b %e %%)"
                }
            }
            rest = rest[rest.index(after: close)...]
        }
        return nil
    }

    /// The pattern with date placeholders replaced by `*`, for sampling without a date.
    public var anyDate: String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{date"), let close = rest[open.upperBound...].firstIndex(of: "}") {
            out += rest[..<open.lowerBound] + "*"
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    /// Files matching a filled pattern, sorted; the pattern itself when it has no glob
    /// characters (so a missing plain path is reported by the reader, not lost).
    public static func glob(_ pattern: String) -> [String] {
        if pattern == "-" { return ["-"] }
        guard pattern.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" }) else { return [pattern] }
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for index in 0..<Int(result.gl_pathc) {
            if let path = result.gl_pathv[index] { paths.append(String(cString: path)) }
        }
        return paths.sorted()
    }

    /// The name of a matched file in its lines' positions (`InputFile.positionName`): its path
    /// below the folders of `filled` (the pattern with its dates filled in) that hold no
    /// wildcard. A pattern whose wildcards are all in the file name gives the base name.
    public static func positionName(of path: String, filled: String) -> String {
        guard let wildcard = filled.firstIndex(where: { $0 == "*" || $0 == "?" || $0 == "[" }) else {
            return RecordPosition.fileName(of: path)
        }
        let fixed = filled[..<wildcard].lastIndex(of: "/").map { String(filled[...$0]) } ?? ""
        guard path.hasPrefix(fixed), path.count > fixed.count else { return RecordPosition.fileName(of: path) }
        return String(path.dropFirst(fixed.count))
    }
}
