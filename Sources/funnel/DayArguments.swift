import ArgumentParser
import FunnelPipeline

/// `--date` or `--from`/`--to` as the list of days a run reads.
enum DayArguments {
    static func days(date: String?, from: String?, to: String?) throws -> [Day] {
        switch (date, from, to) {
        case (nil, nil, nil):
            return []
        case (let date?, nil, nil):
            return [try Day(parsing: date)]
        case (nil, let from?, let to?):
            return try RunOptions.days(from: Day(parsing: from), to: Day(parsing: to))
        case (_?, _, _):
            throw ValidationError("give either --date or --from/--to, not both")
        default:
            throw ValidationError("--from and --to go together")
        }
    }
}
