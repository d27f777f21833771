import FunnelCore
#if canImport(Glibc)
import Glibc
#endif

/// A calendar day (UTC), the unit of `--date`, `--from` and `--to`.
public struct Day: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Days since 1970-01-01.
    public var number: Int

    public init(number: Int) { self.number = number }

    /// `YYYY-MM-DD`, or `today` / `yesterday` (UTC) for cron lines.
    public init(parsing text: String, now: Int64? = nil) throws(PipelineError) {
        let today = Int((now ?? Int64(time(nil)) * 1000) / 86_400_000)
        switch text {
        case "today": number = today; return
        case "yesterday": number = today - 1; return
        default: break
        }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        // Digits only: `Int` takes a sign (`+024-02-29` was the year 24 until 2026-12-06; a
        // review), and a year 0000 is no day of any log.
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.utf8.allSatisfy { $0 &- 0x30 < 10 } }),
              let year = Int(parts[0]), year > 0, let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), day >= 1, day <= CivilTime.daysInMonth(year: year, month: month) else {
            throw PipelineError("'\(text)' is not a date; write YYYY-MM-DD (or today, yesterday)")
        }
        number = CivilTime.daysFromCivil(year: year, month: month, day: day)
    }

    public static func < (a: Day, b: Day) -> Bool { a.number < b.number }

    public var civil: (year: Int, month: Int, day: Int) { CivilTime.civilFromDays(number) }

    public var description: String { format("%Y-%m-%d") }

    /// `%b`'s names, which `PathTemplate.days(of:)` reads back too.
    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The first `%` specifier of `pattern` that `format` does not fill in (`%a`, a `%` at the
    /// end), or nil.
    public static func unknownSpecifier(in pattern: String) -> String? {
        var percent = false
        for character in pattern {
            if percent {
                percent = false
                if !"Ymdeyjb%".contains(character) { return "%" + String(character) }
            } else if character == "%" {
                percent = true
            }
        }
        return percent ? "a % at its end" : nil
    }

    /// strftime-style: `%Y %m %d %y %j %b %e %%`; other characters are copied.
    public func format(_ pattern: String) -> String {
        let (year, month, day) = civil
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        var out = ""
        var percent = false
        for character in pattern {
            if percent {
                percent = false
                switch character {
                case "Y": out += pad(year, 4)
                case "m": out += pad(month, 2)
                case "d": out += pad(day, 2)
                case "e": out += (day < 10 ? " " : "") + String(day)
                case "y": out += pad(year % 100, 2)
                case "j": out += pad(number - CivilTime.daysFromCivil(year: year, month: 1, day: 1) + 1, 3)
                case "b": out += Self.monthNames[month - 1]
                case "%": out += "%"
                default: out += "%" + String(character)
                }
            } else if character == "%" {
                percent = true
            } else {
                out.append(character)
            }
        }
        return out
    }
}
