/// Durations as pipeline files write them: `30m`, `24h`, `90s`, `1h30m`, `7d`, or plain seconds.
enum DurationText {
    /// A hundred years: no session, gap or TTL is longer, and a bound keeps the sums below
    /// from overflowing (until 2026-12-05 `timeout: 9223372036854775807` crashed the loader).
    static let longestMillis: Int64 = 100 * 365 * 86_400_000

    static func millis(_ text: String, key: String) throws(PipelineError) -> Int64 {
        let trimmed = text.trimmingCharacters(in: " ")
        let tooLong = PipelineError("\(key): '\(text)' is longer than 100 years; write e.g. 30m, 24h, 90s or 1h30m")
        if let seconds = Int64(trimmed), seconds > 0 {
            guard seconds <= longestMillis / 1000 else { throw tooLong }
            return seconds * 1000
        }
        var total: Int64 = 0
        var number: Int64 = 0
        var digits = 0
        // Each unit once, largest first (`1h30m`): `1m1m` and `30m1h` were read as sums until
        // 2026-12-06 (a review), a typo's likelier meaning than its sum.
        var lastUnit = Int64.max
        for character in trimmed {
            if let digit = character.wholeNumberValue, character.isASCII {
                number = number * 10 + Int64(digit)
                digits += 1
                // A number of seconds, at least, longer than the bound is too long whatever
                // its unit (`99999999999999999999h` was called "not a positive duration").
                guard number <= longestMillis / 1000 else { throw tooLong }
                continue
            }
            let unit: Int64
            switch character {
            case "s": unit = 1000
            case "m": unit = 60_000
            case "h": unit = 3_600_000
            case "d": unit = 86_400_000
            default: throw PipelineError("\(key): '\(text)' is not a duration; write e.g. 30m, 24h, 90s or 1h30m")
            }
            guard digits > 0, unit < lastUnit else { throw PipelineError("\(key): '\(text)' is not a duration; write e.g. 30m, 24h, 90s or 1h30m (each unit once, the largest first)") }
            lastUnit = unit
            total += number * unit
            guard total <= longestMillis else { throw tooLong }
            number = 0
            digits = 0
        }
        // A number left without its unit (`1h30`) is no duration; one of none is not positive.
        // A plain number (no unit at all) left here is not above 0.
        guard digits == 0 || lastUnit == Int64.max else { throw PipelineError("\(key): '\(text)' is not a duration: a number after a unit needs its own unit; write e.g. 30m, 24h, 90s or 1h30m") }
        guard total > 0 else { throw PipelineError("\(key): '\(text)' is not a positive duration; write e.g. 30m, 24h, 90s or 1h30m") }
        return total
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        String(drop(while: { $0 == set }).reversed().drop(while: { $0 == set }).reversed())
    }
}
