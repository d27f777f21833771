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
        try walk(for: day, literal: { out += $0 }, date: { out += $0 })
        return out
    }

    /// The pattern's literal runs and each date placeholder's text for `day`, in order: what
    /// `filled(for:)` joins and `dateTexts(for:)` keeps.
    private func walk(for day: Day?, literal: (Substring) -> Void, date: (String) -> Void) throws(PipelineError) {
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{date") {
            literal(rest[..<open.lowerBound])
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                throw PipelineError("path '\(text)' has an unclosed {date placeholder")
            }
            let inside = rest[open.upperBound..<close]
            guard let day else {
                throw PipelineError("path '\(text)' holds a date placeholder: pass --date YYYY-MM-DD or --from/--to")
            }
            if inside.isEmpty {
                date(day.description)
            } else if inside.first == ":" {
                date(day.format(String(inside.dropFirst())))
            } else {
                throw PipelineError("path '\(text)': write {date} or {date:%Y%m%d}")
            }
            rest = rest[rest.index(after: close)...]
        }
        literal(rest)
    }

    /// A matched path with its day's date texts taken out (each placeholder's, longest first),
    /// so that the files of two days compare by the rest of their names: `web2/access.log-\0.gz`
    /// for `logs/*/access.log-{date:%Y%m%d}.gz`'s file of any day.
    public func dateless(_ path: String, day: Day) -> String {
        var out = path
        for text in dateTexts(for: day).sorted(by: { $0.count > $1.count }) where !text.isEmpty {
            out = out.replacing(text, with: "\u{0}")
        }
        return out
    }

    /// Each date placeholder's text for `day` (`2024-03-01`, `20240301`, `03`); none for a
    /// pattern `filled(for:)` refuses (a pipeline's are checked when it loads).
    public func dateTexts(for day: Day) -> [String] {
        var texts: [String] = []
        do { try walk(for: day, literal: { _ in }, date: { texts.append($0) }) } catch { return [] }
        return texts
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
                // `{date:Y}` named the same file every day (a review, 2026-12-06).
                guard format.replacing("%%", with: "").contains("%") else {
                    return "'\(text)': {date:\(format)} has no % directive, so every day's name would be the same; write e.g. {date:%Y%m%d}"
                }
            }
            rest = rest[rest.index(after: close)...]
        }
        // `{Date}` was a literal part of the name, matched by no file, and said only as "no
        // input file matched" (a review, 2026-12-06).
        if text.lowercased().ranges(of: "{date").count != text.ranges(of: "{date").count {
            return "'\(text)': date placeholders are written in lower case, {date} or {date:%Y%m%d}"
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

    /// The day a file matched by `anyDate` holds, read back through the pattern's date
    /// placeholders (`access-web1-20240303.log.gz` of `access-*-{date:%Y%m%d}.log.gz` is
    /// 2024-03-03), or nil when the pattern has no date or the path does not fit it. A date
    /// without a day of the month (`%Y%m`) is its first day. `validate` samples the newest
    /// days' files by it: sorted by name, `web2`'s files came after every one of `web1`'s.
    public func day(of path: String) -> Day? {
        days(of: [path]).first?.day
    }

    /// `day(of:)` of each path that fits the pattern, the pattern read once for all of them
    /// (a regular expression made per path was `validate`'s work per matched file).
    public func days(of paths: [String]) -> [(path: String, day: Day)] {
        guard hasDate else { return [] }
        var expression = ""
        var fields: [Character] = []
        func literal(_ text: Substring) {
            var index = text.startIndex
            while index < text.endIndex {
                let character = text[index]
                switch character {
                case "\\" where text.index(after: index) < text.endIndex:
                    // An escaped character (`escaped(_:)`) is itself.
                    index = text.index(after: index)
                    let escaped = text[index]
                    if escaped.isLetter || escaped.isNumber { expression.append(escaped) } else { expression += "\\" + String(escaped) }
                case "*": expression += "[^/]*"
                case "?": expression += "[^/]"
                case "[":
                    // A glob's bracket, `[!...]` negated; copied as a regex bracket.
                    guard let close = text[text.index(after: index)...].firstIndex(of: "]") else { expression += "\\["; break }
                    var inside = text[text.index(after: index)..<close]
                    var negated = false
                    if inside.first == "!" { negated = true; inside = inside.dropFirst() }
                    expression += "[" + (negated ? "^" : "") + String(inside).replacing("\\", with: "\\\\") + "]"
                    index = close
                default:
                    if character.isLetter || character.isNumber { expression.append(character) } else { expression += "\\" + String(character) }
                }
                index = text.index(after: index)
            }
        }
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{date"), let close = rest[open.upperBound...].firstIndex(of: "}") {
            literal(rest[..<open.lowerBound])
            let inside = rest[open.upperBound..<close]
            let format = inside.isEmpty ? "%Y-%m-%d" : String(inside.dropFirst())
            var percent = false
            for character in format {
                if percent {
                    percent = false
                    switch character {
                    case "Y": expression += "([0-9]{4})"; fields.append(character)
                    case "m", "d", "y": expression += "([0-9]{2})"; fields.append(character)
                    case "e": expression += "( ?[0-9]{1,2})"; fields.append(character)
                    case "j": expression += "([0-9]{3})"; fields.append(character)
                    case "b": expression += "([A-Za-z]{3})"; fields.append(character)
                    default: expression += "%"
                    }
                } else if character == "%" {
                    percent = true
                } else {
                    literal(Substring(String(character)))
                }
            }
            rest = rest[rest.index(after: close)...]
        }
        literal(rest)
        guard let regex = try? Regex(expression) else { return [] }
        return paths.compactMap { path in
            guard let match = try? regex.wholeMatch(in: path), let day = Self.day(of: match, fields: fields) else { return nil }
            return (path, day)
        }
    }

    /// The day the captures of `match` give, `fields` naming each capture's specifier.
    private static func day(of match: Regex<AnyRegexOutput>.Match, fields: [Character]) -> Day? {
        var year: Int?, month = 1, dayOfMonth = 1, dayOfYear: Int?
        for (index, field) in fields.enumerated() {
            guard index + 1 < match.output.count, let text = match.output[index + 1].substring else { return nil }
            let value = Int(String(text).trimmingCharacters(in: " "))
            switch field {
            case "Y": year = value
            case "y": year = value.map { 2000 + $0 }
            case "m": month = value ?? 1
            case "d", "e": dayOfMonth = value ?? 1
            case "j": dayOfYear = value
            case "b": month = (Day.monthNames.firstIndex { $0.lowercased() == text.lowercased() } ?? -1) + 1
            default: break
            }
        }
        guard let year, (1...12).contains(month) else { return nil }
        if let dayOfYear { return Day(number: CivilTime.daysFromCivil(year: year, month: 1, day: 1) + dayOfYear - 1) }
        guard dayOfMonth >= 1, dayOfMonth <= CivilTime.daysInMonth(year: year, month: month) else { return nil }
        return Day(number: CivilTime.daysFromCivil(year: year, month: month, day: dayOfMonth))
    }

    /// Files matching a filled pattern, sorted; the pattern itself when it has no glob
    /// characters (so a missing plain path is reported by the reader, not lost). A character
    /// after a backslash is itself (glob(3)'s escape; `escaped(_:)`). A file named `-` is
    /// `./-`, not stdin (a review: a pattern `?` read stdin).
    public static func glob(_ pattern: String) -> [String] {
        var notUTF8: [String] = []
        return glob(pattern, notUTF8: &notUTF8)
    }

    /// `glob(_:)`, with the matched names that are not UTF-8 in `notUTF8` (shown with U+FFFD)
    /// instead of among the paths: such a name, made text, names no file, and it was left out
    /// without a word (rv73g).
    public static func glob(_ pattern: String, notUTF8: inout [String]) -> [String] {
        if pattern == "-" { return ["-"] }
        guard hasWildcard(pattern) else { return [unescaped(pattern)] }
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for index in 0..<Int(result.gl_pathc) {
            guard let path = result.gl_pathv[index] else { continue }
            if let text = String(validatingCString: path) { paths.append(text) } else { notUTF8.append(String(cString: path)) }
        }
        return paths.map { $0 == "-" ? "./-" : $0 }.sorted()
    }

    /// `literal` as a pattern that matches it alone: a backslash before each `*`, `?`, `[` and
    /// backslash. The folder of a pipeline file is joined to its relative paths this way
    /// (`PipelineLoader`): a folder named `archive [old]` was read as a bracket expression,
    /// and no file under it matched (a review).
    public static func escaped(_ literal: String) -> String {
        guard literal.contains(where: { "*?[\\".contains($0) }) else { return literal }
        var out = ""
        for character in literal {
            if "*?[\\".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }

    /// `pattern` with its escapes taken away: what it names when it holds no wildcard, and
    /// how it is shown.
    public static func unescaped(_ pattern: String) -> String {
        guard pattern.contains("\\") else { return pattern }
        var out = ""
        var escaping = false
        for character in pattern {
            if !escaping && character == "\\" { escaping = true; continue }
            escaping = false
            out.append(character)
        }
        return out
    }

    /// Whether `pattern` holds a `*`, `?` or `[` not escaped by a backslash.
    static func hasWildcard(_ pattern: String) -> Bool {
        var escaping = false
        for character in pattern {
            if escaping { escaping = false; continue }
            if character == "\\" { escaping = true } else if character == "*" || character == "?" || character == "[" { return true }
        }
        return false
    }

    /// The name of a matched file in its lines' positions (`InputFile.positionName`): its path
    /// below the folders of `filled` (the pattern with its dates filled in) that hold no
    /// wildcard. A pattern whose wildcards are all in the file name gives the base name.
    public static func positionName(of path: String, filled: String) -> String {
        guard let wildcard = filled.firstIndex(where: { $0 == "*" || $0 == "?" || $0 == "[" }) else {
            return RecordPosition.fileName(of: path)
        }
        // Escaped wildcards count: the names stay those of runs before escaping (2026-12-06).
        let fixed = unescaped(filled[..<wildcard].lastIndex(of: "/").map { String(filled[...$0]) } ?? "")
        guard path.hasPrefix(fixed), path.count > fixed.count else { return RecordPosition.fileName(of: path) }
        return String(path.dropFirst(fixed.count))
    }
}
