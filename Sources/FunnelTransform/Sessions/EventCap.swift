import FunnelCore

/// The limit on events per session (pipeline key `limits.max_events_per_session`, issue 5).
///
/// A client stuck in a loop, a replayed dump or a bot that keeps its cookie can pile up
/// millions of events in one session: one Redis list, one NDJSON line and one CSV row would
/// grow without bound. Past the limit, events are dropped and counted (`over_event_cap`).
///
/// The events that decide a session's outcome (`Purchase`, `InitiateCheckout`, `FormSubmit`,
/// `Consent`) are kept before any other, so a flood of `VideoProgress` cannot hide a donation
/// or a withdrawn consent; the remaining room goes to the other events in time order, so the
/// landing page and the first touch survive.
public enum EventCap {
    public static let defaultMax = 10_000

    /// Event names kept before all others when a session is over the limit.
    public static let decisiveEvents: Set<String> = ["Purchase", "InitiateCheckout", "FormSubmit", "Consent"]

    /// At most `max` of `records` (one session's, in time order), in their original order,
    /// and how many were dropped. A session within the limit is returned as it is.
    public static func apply(_ records: [Record], max: Int) -> (kept: [Record], dropped: Int) {
        let limit = Swift.max(max, 0)
        guard records.count > limit else { return (records, 0) }
        let decisive = records.reduce(0) { $0 + (decisiveEvents.contains($1.event) ? 1 : 0) }
        var decisiveRoom = Swift.min(decisive, limit)
        var otherRoom = limit - decisiveRoom
        var kept: [Record] = []
        kept.reserveCapacity(limit)
        for record in records {
            if decisiveEvents.contains(record.event) {
                guard decisiveRoom > 0 else { continue }
                decisiveRoom -= 1
            } else {
                guard otherRoom > 0 else { continue }
                otherRoom -= 1
            }
            kept.append(record)
        }
        return (kept, records.count - kept.count)
    }
}
