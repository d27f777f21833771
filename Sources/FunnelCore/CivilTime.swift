/// Calendar arithmetic on the proleptic Gregorian calendar, without Foundation, so readers can
/// turn log dates into epoch milliseconds on the hot path and reject impossible dates.
public enum CivilTime {
    /// Timestamps outside [1990-01-01, 2100-01-01) are treated as impossible: they come from
    /// clocks at zero or units mixed up, and would create sessions decades away.
    public static let earliestMillis: Int64 = 631_152_000_000
    public static let latestMillis: Int64 = 4_102_444_800_000

    /// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date of a day number (inverse of `daysFromCivil`).
    public static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Epoch milliseconds of a wall-clock time at a UTC offset, or nil when any part is out of
    /// range (month 13, February 30, hour 24, offset beyond 18 h) or the result is implausible.
    public static func millis(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int,
                              millisecond: Int = 0, offsetMinutes: Int = 0) -> Int64? {
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month),
              (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second),
              (0...999).contains(millisecond), abs(offsetMinutes) <= 18 * 60 else { return nil }
        let days = Int64(daysFromCivil(year: year, month: month, day: day))
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + min(second, 59)) - Int64(offsetMinutes * 60)
        let result = seconds * 1000 + Int64(millisecond)
        guard result >= earliestMillis, result < latestMillis else { return nil }
        return result
    }

    /// The decimal number written by `count` ASCII digits at `at`; nil when any is not a digit
    /// or the bytes end first.
    @inlinable
    public static func decimal(_ b: UnsafeBufferPointer<UInt8>, at: Int, count: Int) -> Int? {
        guard at >= 0, at + count <= b.count else { return nil }
        var value = 0
        for i in at..<(at + count) {
            let d = b[i] &- 0x30
            guard d < 10 else { return nil }
            value = value * 10 + Int(d)
        }
        return value
    }

    /// `YYYY-MM-DDTHH:MM[:SS[.fff]][ ][Z|UTC|GMT|±HH:MM|±HHMM]`; a space may stand for `T`.
    /// An ISO string without an offset is taken as UTC; `24:00:00` (or `24:00`) is the next
    /// day's midnight. Nil when the text is not such a date.
    /// Since 2026-12-06 also without seconds (`2024-03-01T12:00Z`), with a space before the
    /// zone (`12:00:00 +01:00`) and with `UTC`/`GMT` for the zone (`2024-03-01 12:00:00 UTC`,
    /// as BigQuery and warehouse exports write it): each was a `bad_timestamp` (a review).
    public static func parseISO8601(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        func digits(_ at: Int, _ count: Int) -> Int? { decimal(b, at: at, count: count) }
        guard b.count >= 16, let year = digits(0, 4), b[4] == 0x2D, let month = digits(5, 2), b[7] == 0x2D,
              let day = digits(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: " ") || b[10] == UInt8(ascii: "t"),
              let hour = digits(11, 2), b[13] == 0x3A, let minute = digits(14, 2) else { return nil }
        var index = 16
        var second = 0
        var millisecond = 0
        var fractionZero = true
        if index < b.count, b[index] == 0x3A {
            guard let s = digits(17, 2) else { return nil }
            second = s
            index = 19
            if index < b.count, b[index] == UInt8(ascii: ".") || b[index] == UInt8(ascii: ",") {
                index += 1
                var scale = 100
                var count = 0
                while index < b.count, b[index] &- 0x30 < 10 {
                    if b[index] != 0x30 { fractionZero = false }
                    millisecond += Int(b[index] - 0x30) * scale
                    scale /= 10
                    index += 1
                    count += 1
                }
                guard count > 0 else { return nil }
            }
        }
        // One space before a zone, never at the end.
        if index + 1 < b.count, b[index] == 0x20 { index += 1 }
        guard let (offset, end) = zone(b, at: index), end == b.count else { return nil }
        // `24:00:00` is the end of a day, the next day's midnight (ISO 8601; JavaScript's
        // `Date` and exporters built on it read it so): rv76d found it a `bad_timestamp`.
        // Every digit of a fraction zero (rv77d: `24:00:00.0001` passed, its fourth digit
        // dropped), and the bounds those of the instant, the next day's (rv77d:
        // `1989-12-31T24:00:00Z` was refused as 1989).
        if hour == 24 && minute == 0 && second == 0 && fractionZero {
            guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month), abs(offset) <= 18 * 60 else { return nil }
            let result = (Int64(daysFromCivil(year: year, month: month, day: day)) + 1) * 86_400_000 - Int64(offset) * 60_000
            guard result >= earliestMillis, result < latestMillis else { return nil }
            return result
        }
        return millis(year: year, month: month, day: day, hour: hour, minute: minute, second: second,
                      millisecond: millisecond, offsetMinutes: offset)
    }

    /// RFC 1123's date, as HTTP headers and some exporters write it: `Fri, 01 Mar 2024 12:00:00
    /// GMT` (the weekday optional and not checked; the zone `GMT`, `UTC`, `Z` or `±HHMM`).
    /// Nil when the text is not such a date.
    public static func parseRFC1123(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        func digits(_ at: Int, _ count: Int) -> Int? { decimal(b, at: at, count: count) }
        var index = 0
        if b.count > 5, isLetter(b[0]), isLetter(b[1]), isLetter(b[2]), b[3] == UInt8(ascii: ","), b[4] == 0x20 { index = 5 }
        guard let day = digits(index, 2), index + 20 <= b.count, b[index + 2] == 0x20,
              let month = monthNumber(b[index + 3], b[index + 4], b[index + 5]), b[index + 6] == 0x20,
              let year = digits(index + 7, 4), b[index + 11] == 0x20, let hour = digits(index + 12, 2), b[index + 14] == 0x3A,
              let minute = digits(index + 15, 2), b[index + 17] == 0x3A, let second = digits(index + 18, 2) else { return nil }
        index += 20
        guard index + 1 < b.count, b[index] == 0x20, let (offset, end) = zone(b, at: index + 1), end == b.count else { return nil }
        return millis(year: year, month: month, day: day, hour: hour, minute: minute, second: second, offsetMinutes: offset)
    }

    /// A zone at `at`: nothing (UTC), `Z`, `UTC`, `GMT`, `±HH`, `±HH:MM` or `±HHMM`, as minutes
    /// east of UTC and where it ends; nil when it is none of these.
    private static func zone(_ b: UnsafeBufferPointer<UInt8>, at start: Int) -> (Int, Int)? {
        var index = start
        guard index < b.count else { return (0, index) }
        switch b[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            return (0, index + 1)
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = b[index] == UInt8(ascii: "-") ? -1 : 1
            guard let hours = decimal(b, at: index + 1, count: 2) else { return nil }
            index += 3
            var minutes = 0
            if index < b.count, b[index] == 0x3A { index += 1 }
            if index < b.count {
                guard let m = decimal(b, at: index, count: 2) else { return nil }
                minutes = m
                index += 2
            }
            guard minutes < 60 else { return nil }
            return (sign * (hours * 60 + minutes), index)
        default:
            guard index + 3 == b.count else { return nil }
            let word = (b[index] | 0x20, b[index + 1] | 0x20, b[index + 2] | 0x20)
            guard word == (UInt8(ascii: "u"), UInt8(ascii: "t"), UInt8(ascii: "c")) || word == (UInt8(ascii: "g"), UInt8(ascii: "m"), UInt8(ascii: "t")) else { return nil }
            return (0, index + 3)
        }
    }

    private static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) &- UInt8(ascii: "a") < 26 }

    /// 1 to 12 for an English month's three letters in any case, nil otherwise.
    private static func monthNumber(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Int? {
        let key = [a | 0x20, b | 0x20, c | 0x20]
        let names = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        return names.firstIndex { Array($0.utf8) == key }.map { $0 + 1 }
    }
}
