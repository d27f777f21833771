/// Durations as pipeline files write them: `30m`, `24h`, `90s`, `1h30m`, `7d`, or plain seconds.
enum DurationText {
    static func millis(_ text: String, key: String) throws(PipelineError) -> Int64 {
        let trimmed = text.trimmingCharacters(in: " ")
        if let seconds = Int64(trimmed), seconds > 0 { return seconds * 1000 }
        var total: Int64 = 0
        var number: Int64 = 0
        var digits = 0
        for character in trimmed {
            if let digit = character.wholeNumberValue, character.isASCII {
                number = number * 10 + Int64(digit)
                digits += 1
                guard number < 1_000_000_000 else { break }
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
            guard digits > 0 else { throw PipelineError("\(key): '\(text)' is not a duration; write e.g. 30m, 24h, 90s or 1h30m") }
            total += number * unit
            number = 0
            digits = 0
        }
        guard digits == 0, total > 0 else { throw PipelineError("\(key): '\(text)' is not a positive duration; write e.g. 30m, 24h, 90s or 1h30m") }
        return total
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        String(drop(while: { $0 == set }).reversed().drop(while: { $0 == set }).reversed())
    }
}
