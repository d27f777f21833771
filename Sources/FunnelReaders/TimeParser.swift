import FunnelCore

/// Parsers for the time notations of logs and events, on bytes.
public enum TimeParser {
    private static let months: [UInt32] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].map {
        let b = Array($0.utf8)
        return UInt32(b[0]) << 16 | UInt32(b[1]) << 8 | UInt32(b[2])
    }

    /// nginx/Apache `$time_local`: `10/Oct/2000:13:55:36 -0700`.
    public static func parseTimeLocal(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard b.count == 26 else { return nil }
        let key = UInt32(b[3]) << 16 | UInt32(b[4]) << 8 | UInt32(b[5])
        guard let day = twoDigits(b, 0), b[2] == 0x2F, let monthIndex = months.firstIndex(of: key), b[6] == 0x2F,
              let century = twoDigits(b, 7), let yearInCentury = twoDigits(b, 9), b[11] == 0x3A,
              let hour = twoDigits(b, 12), b[14] == 0x3A, let minute = twoDigits(b, 15), b[17] == 0x3A, let second = twoDigits(b, 18),
              b[20] == 0x20, b[21] == UInt8(ascii: "+") || b[21] == UInt8(ascii: "-"),
              let hh = twoDigits(b, 22), let mm = twoDigits(b, 24), mm < 60 else {
            return nil
        }
        let offset = (hh * 60 + mm) * (b[21] == UInt8(ascii: "-") ? -1 : 1)
        return CivilTime.millis(year: century * 100 + yearInCentury, month: monthIndex + 1, day: day, hour: hour, minute: minute, second: second, offsetMinutes: offset)
    }

    /// The day and zone of the last `$time_local` a reader read, as their bytes and as epoch
    /// seconds at midnight: the lines of a log share them for hours, so a line whose date and
    /// zone are the ones before reads only its hour, minute and second.
    public struct TimeLocalMemo: Sendable {
        /// Bytes 0 to 7 (`10/Oct/2`), 8 to 11 (`000:`) and 20 to 25 (` -0700`), packed.
        fileprivate var date: UInt64 = 0
        fileprivate var year: UInt32 = 0
        fileprivate var zone: UInt64 = 0
        fileprivate var midnight: Int64 = 0
        fileprivate var held = false

        public init() {}
    }

    /// `parseTimeLocal(_:)` of the same bytes, from `memo`'s day when the line's date and
    /// zone are `memo`'s (which it then holds for the next line).
    public static func parseTimeLocal(_ b: UnsafeBufferPointer<UInt8>, memo: inout TimeLocalMemo) -> Int64? {
        guard b.count == 26, let base = b.baseAddress else { return nil }
        let raw = UnsafeRawPointer(base)
        let date = raw.loadUnaligned(as: UInt64.self)
        let year = raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
        let zone = raw.loadUnaligned(fromByteOffset: 18, as: UInt64.self) >> 16
        guard let hour = twoDigits(b, 12), b[14] == 0x3A, let minute = twoDigits(b, 15), b[17] == 0x3A, let second = twoDigits(b, 18),
              hour < 24, minute < 60, second <= 60 else {
            return nil
        }
        let sinceMidnight = Int64(hour * 3600 + minute * 60 + min(second, 59))
        if memo.held, memo.date == date, memo.year == year, memo.zone == zone {
            let result = (memo.midnight + sinceMidnight) * 1000
            guard result >= CivilTime.earliestMillis, result < CivilTime.latestMillis else { return nil }
            return result
        }
        guard let result = parseTimeLocal(b) else { return nil }
        memo.date = date
        memo.year = year
        memo.zone = zone
        memo.midnight = result / 1000 - sinceMidnight
        memo.held = true
        return result
    }

    /// The two decimal digits at `at`, inlined: `CivilTime.decimal` through a local closure was
    /// a call per number, eight a `$time_local`, about 500 instructions a line with the checks.
    @inline(__always)
    private static func twoDigits(_ b: UnsafeBufferPointer<UInt8>, _ at: Int) -> Int? {
        let high = b[at] &- 0x30, low = b[at + 1] &- 0x30
        guard high < 10, low < 10 else { return nil }
        return Int(high) * 10 + Int(low)
    }

    /// Epoch seconds with an optional fraction (`$msec`: `1704067200.123`), to milliseconds.
    public static func parseEpochSeconds(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        // Digits first: no server writes a sign there (rv77d: the `+` an amount may carry since
        // 3930dfe made `+1709294400.123` a time).
        guard let first = b.first, first &- 0x30 < 10, let amount = Amount(jsonNumber: b), amount.micros >= 0 else { return nil }
        let millis = amount.rounded(toMultiplesOf: 1000)
        guard millis >= CivilTime.earliestMillis, millis < CivilTime.latestMillis else { return nil }
        return millis
    }

    /// A JSON number timestamp: milliseconds when >= 1e11, else seconds (SPEC 1.2).
    public static func parseEpochNumber(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard let amount = Amount(jsonNumber: b), amount.micros >= 0 else { return nil }
        // amount is value * 1e6; 1e11 as micros is 1e17.
        let millis = amount.micros >= 100_000_000_000_000_000 ? amount.rounded(toMultiplesOf: 1_000_000) : amount.rounded(toMultiplesOf: 1000)
        guard millis >= CivilTime.earliestMillis, millis < CivilTime.latestMillis else { return nil }
        return millis
    }
}
