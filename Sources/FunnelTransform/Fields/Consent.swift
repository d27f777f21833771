import FunnelCore

/// A visitor's consent as of a moment (SPEC 11): each purpose `granted`, `denied` or
/// `pending` (no Consent event yet).
struct ConsentState: Sendable, Hashable {
    var analytics = "pending"
    var marketing = "pending"

    var analyticsDenied: Bool { analytics == "denied" }
    var marketingDenied: Bool { marketing == "denied" }

    /// The state after each Consent event of a visitor's time-ordered records, to be asked
    /// for the state at a session's end.
    struct Timeline {
        private var changes: [(timestamp: Int64, state: ConsentState)] = []
        /// The state before the first of the records (a continued visitor's, from its past).
        private let initial: ConsentState

        init(records: [Record], initial: ConsentState = ConsentState()) {
            self.initial = initial
            var state = initial
            for record in records where record.event == "Consent" {
                if let value = Self.normalize(record.properties.analytics) { state.analytics = value }
                if let value = Self.normalize(record.properties.marketing) { state.marketing = value }
                changes.append((record.timestamp, state))
            }
        }

        /// The latest state at or before `timestamp`.
        func state(at timestamp: Int64) -> ConsentState {
            changes.last { $0.timestamp <= timestamp }?.state ?? initial
        }

        /// The state after every record.
        var final: ConsentState { changes.last?.state ?? initial }

        /// Spaces and line ends around the value are not part of it (`"denied "` is denied; until 2026-12-06
        /// it was no answer, and the session went out with its click ids).
        private static func normalize(_ value: String?) -> String? {
            value.flatMap(ConsentAnswer.isGranted).map { $0 ? "granted" : "denied" }
        }
    }
}
