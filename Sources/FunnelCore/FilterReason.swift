/// Why a well-formed input line was dropped on purpose. Raw values appear in the summary.
public enum FilterReason: String, Sendable, CaseIterable, Comparable {
    case bot
    case staticAsset = "static_asset"
    case notGet = "not_get"
    case errorStatus = "error_status"
    case excludedPath = "excluded_path"
    case duplicateEvent = "duplicate_event"
    case mergedPageView = "merged_page_view"
    case blankLine = "blank_line"
    case notAnEvent = "not_an_event"
    /// Past `limits.max_events_per_session` in its session.
    case overEventCap = "over_event_cap"

    public static func < (a: FilterReason, b: FilterReason) -> Bool { a.rawValue < b.rawValue }
}
