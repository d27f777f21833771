import Foundation
import FunnelCore
import FunnelReaders
import Testing

/// `$time_local` as nginx and Apache write it, read on bytes.
struct TimeParserTests {
    private func timeLocal(_ text: String) -> Int64? {
        Array(text.utf8).withUnsafeBufferPointer { TimeParser.parseTimeLocal($0) }
    }

    @Test func readsTheFormatWithItsOffset() {
        #expect(timeLocal("01/Mar/2024:00:00:02 +0000") == 1_709_251_202_000)
        #expect(timeLocal("10/Oct/2000:13:55:36 -0700") == 971_211_336_000)
        #expect(timeLocal("29/Feb/2024:23:59:59 +0530") == 1_709_231_399_000)
        #expect(timeLocal("31/Dec/1999:23:59:60 +0000") == 946_684_799_000)
    }

    @Test(arguments: [
        "01/Mar/2024:00:00:02 +000", "1/Mar/2024:00:00:02 +00000", "01/Mar/2024:00:00:02 0000",
        "01/Mxr/2024:00:00:02 +0000", "01-Mar/2024:00:00:02 +0000", "0a/Mar/2024:00:00:02 +0000",
        "01/Mar/2O24:00:00:02 +0000", "01/Mar/2024 00:00:02 +0000", "01/Mar/2024:24:00:02 +0000",
        "01/Mar/2024:00:60:02 +0000", "01/Mar/2024:00:00:61 +0000", "30/Feb/2024:00:00:02 +0000",
        "01/Mar/2024:00:00:02 +0060", "01/Mar/1970:00:00:02 +0000", "01/Mar/2024:00:00:/2 +0000",
    ])
    func refusesWhatIsNotOne(text: String) {
        #expect(timeLocal(text) == nil)
    }

    /// Every day of 2023 and 2024 at a varying time and offset gives the instant Foundation's
    /// Gregorian calendar gives for the same numbers: an oracle apart from `CivilTime`, which
    /// the parser itself calls (a review's mutation, July's days one day late in
    /// `CivilTime.daysFromCivil`, passed this test while it compared with `CivilTime`).
    @Test func agreesWithFoundationsCalendarOverTwoYears() throws {
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: width - text.count) + text
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        var date = try #require(calendar.date(from: DateComponents(year: 2023, month: 1, day: 1)))
        var checked = 0
        while calendar.component(.year, from: date) < 2025 {
            let parts = calendar.dateComponents([.year, .month, .day], from: date)
            let (year, month, day) = (parts.year!, parts.month!, parts.day!)
            let hour = (day * 7) % 24, minute = (day * 13) % 60, second = (month * 11 + day) % 60
            let offset = ((day % 5) - 2) * 150
            let sign = offset < 0 ? "-" : "+"
            let text = "\(pad(day, 2))/\(months[month - 1])/\(year):\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)) "
                + "\(sign)\(pad(abs(offset) / 60, 2))\(pad(abs(offset) % 60, 2))"
            let local = try #require(calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)))
            let expected = Int64(local.timeIntervalSince1970) * 1000 - Int64(offset) * 60_000
            #expect(timeLocal(text) == expected, "\(text)")
            #expect(CivilTime.daysInMonth(year: year, month: month) == calendar.range(of: .day, in: .month, for: date)?.count)
            checked += 1
            date = try #require(calendar.date(byAdding: .day, value: 1, to: date))
        }
        #expect(checked == 731)
    }

    /// `CivilTime`'s day numbers both ways, every day from 1970 to 2100, against Foundation's
    /// calendar (days since the epoch).
    @Test func civilDaysAgreeWithFoundation() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        var mismatches: [String] = []
        for days in 0..<(131 * 366) where days * 86_400 < 4_133_980_800 {  // to 2101-01-01
            let parts = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(days) * 86_400))
            let (year, month, day) = (parts.year!, parts.month!, parts.day!)
            if CivilTime.daysFromCivil(year: year, month: month, day: day) != days || CivilTime.civilFromDays(days) != (year, month, day) {
                mismatches.append("\(year)-\(month)-\(day) (day \(days))")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }

    /// `24:00:00` ends a day: it is the next day's midnight, as JavaScript's `Date` reads it
    /// (rv76d: a `bad_timestamp`); any time past it is no time.
    @Test func theEndOfADayIsTheNextMidnight() {
        func iso(_ text: String) -> Int64? { Array(text.utf8).withUnsafeBufferPointer { CivilTime.parseISO8601($0) } }
        #expect(iso("2024-03-01T24:00:00Z") != nil)
        #expect(iso("2024-03-01T24:00:00Z") == iso("2024-03-02T00:00:00Z"))
        #expect(iso("2024-12-31T24:00Z") == iso("2025-01-01T00:00:00Z"))
        #expect(iso("2024-02-29 24:00:00.000 +01:00") == iso("2024-03-01T00:00:00+01:00"))
        for past in ["2024-03-01T24:00:01Z", "2024-03-01T24:01:00Z", "2024-03-01T24:00:00.001Z", "2024-03-01T24:00:00.0001Z",
                     "2024-03-01T25:00:00Z", "2024-02-30T24:00:00Z", "2099-12-31T24:00:00Z", "2024-03-01T24:00:00+18:01",
                     "2024-03-00T24:00:00Z", "2024-13-01T24:00:00Z", "2024-00-01T24:00:00Z"] {
            #expect(iso(past) == nil, "\(past)")
        }
        // The bounds are the instant's (rv77d: the last day of 1989 at 24:00 is 1990's first
        // midnight, which is read).
        #expect(iso("1989-12-31T24:00:00Z") == iso("1990-01-01T00:00:00Z") && iso("1990-01-01T00:00:00Z") != nil)
        #expect(iso("1990-01-01T24:00:00+18:00") == iso("1990-01-01T06:00:00Z"))
        #expect(iso("2024-03-01T24:00:00.0000Z") == iso("2024-03-02T00:00:00Z"))
        // `$msec` takes digits only (rv77d: the amount's new `+` made `+1709294400.123` a time).
        func msec(_ text: String) -> Int64? { Array(text.utf8).withUnsafeBufferPointer { TimeParser.parseEpochSeconds($0) } }
        #expect(msec("1709294400.123") == 1_709_294_400_123)
        #expect(msec("+1709294400.123") == nil && msec("-1") == nil && msec("") == nil)
    }

    /// A memo of the last day gives what a fresh parse gives, for each text of a sequence
    /// that stays on one day, changes its time, its day, its zone, breaks in the time only,
    /// and reaches the edges of the range a time may have.
    @Test func theDayMemoAgreesWithAFreshParse() {
        let texts = [
            "01/Mar/2024:00:00:02 +0000", "01/Mar/2024:10:15:59 +0000", "01/Mar/2024:23:59:60 +0000",
            "01/Mar/2024:24:00:00 +0000", "01/Mar/2024:10:60:00 +0000", "01/Mar/2024:10:00:61 +0000",
            "01/Mar/2024:1a:00:00 +0000", "01/Mar/2024:10-00:00 +0000", "01/Mar/2024:10:00:00 +0000",
            "01/Mar/2024:10:00:00 -0130", "01/Mar/2024:10:00:00 +0000", "02/Mar/2024:00:00:00 +0000",
            "30/Feb/2024:10:00:00 +0000", "30/Feb/2024:11:00:00 +0000", "02/Mar/2024:00:00:01 +0000",
            "01/Jan/1990:00:00:00 +0000", "01/Jan/1990:00:00:00 +0100", "01/Jan/1990:00:59:59 +0100",
            "01/Jan/1990:01:00:00 +0100", "01/Jan/1990:00:30:00 +0100", "31/Dec/2099:23:59:59 +0000", "31/Dec/2099:23:59:59 -0100",
            "31/Dec/2099:22:59:59 -0100", "31/Dec/2099:23:00:00 -0100", "01/Mar/2024:00:00:02 +0060",
            "01/Mar/2024:00:00:02 +0060", "1/Mar/2024:00:00:02 +00000",
        ]
        var memo = TimeParser.TimeLocalMemo()
        var answered = 0
        for text in texts {
            let remembered = Array(text.utf8).withUnsafeBufferPointer { TimeParser.parseTimeLocal($0, memo: &memo) }
            #expect(remembered == timeLocal(text), "\(text)")
            if remembered != nil { answered += 1 }
        }
        #expect(answered == 12)
    }
}
