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
        func num(_ at: Int, _ count: Int) -> Int? { CivilTime.decimal(b, at: at, count: count) }
        let key = UInt32(b[3]) << 16 | UInt32(b[4]) << 8 | UInt32(b[5])
        guard let day = num(0, 2), b[2] == 0x2F, let monthIndex = months.firstIndex(of: key), b[6] == 0x2F,
              let year = num(7, 4), b[11] == 0x3A, let hour = num(12, 2), b[14] == 0x3A, let minute = num(15, 2),
              b[17] == 0x3A, let second = num(18, 2), b[20] == 0x20,
              b[21] == UInt8(ascii: "+") || b[21] == UInt8(ascii: "-"), let hh = num(22, 2), let mm = num(24, 2), mm < 60 else {
            return nil
        }
        let offset = (hh * 60 + mm) * (b[21] == UInt8(ascii: "-") ? -1 : 1)
        return CivilTime.millis(year: year, month: monthIndex + 1, day: day, hour: hour, minute: minute, second: second, offsetMinutes: offset)
    }

    /// Epoch seconds with an optional fraction (`$msec`: `1704067200.123`), to milliseconds.
    public static func parseEpochSeconds(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard let amount = Amount(jsonNumber: b), amount.micros >= 0 else { return nil }
        let millis = (amount.micros + 500) / 1000
        guard millis >= CivilTime.earliestMillis, millis < CivilTime.latestMillis else { return nil }
        return millis
    }

    /// A JSON number timestamp: milliseconds when >= 1e11, else seconds (SPEC 1.2).
    public static func parseEpochNumber(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard let amount = Amount(jsonNumber: b), amount.micros >= 0 else { return nil }
        // amount is value * 1e6; 1e11 as micros is 1e17.
        let millis = amount.micros >= 100_000_000_000_000_000 ? (amount.micros + 500_000) / 1_000_000 : (amount.micros + 500) / 1000
        guard millis >= CivilTime.earliestMillis, millis < CivilTime.latestMillis else { return nil }
        return millis
    }
}
