/// The visitors a run rebuilt from `limit` records or more (`limits.warn_visitor_records`),
/// with the most each had, for the run's warning. A run that adds to a visitor it cannot
/// continue (`VisitorPast`) reads and rebuilds all of its records (SPEC 10), so such a visitor
/// who never goes away makes each run's time and memory grow with that visitor's history; the
/// warning says so and what to do.
struct HeavyVisitors {
    let limit: Int
    private(set) var records: [String: Int] = [:]
    /// The most visitors kept: a run with more says "or more".
    static let kept = 1_000

    init(limit: Int) {
        self.limit = limit
    }

    mutating func add(_ visitors: [(visitor: String, records: Int)]) {
        for (visitor, count) in visitors where records[visitor] != nil || records.count < Self.kept {
            records[visitor] = max(records[visitor] ?? 0, count)
        }
    }

    /// The warning naming the visitor with the most records (the smallest key among equals),
    /// as `shown` gives its key; nil when there is none.
    func warning(shown: (String) -> String = { $0 }) -> String? {
        guard let largest = records.min(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) else { return nil }
        let who = records.count >= Self.kept ? "\(records.count) or more visitors were"
            : records.count == 1 ? "1 visitor was" : "\(records.count) visitors were"
        // (A first run's heavy visitor is its own records: "grow with its history" misled; rv75c.)
        return "\(who) rebuilt from \(limit) records or more (the most: \(shown(largest.key)), \(largest.value)): a visitor's records are "
            + "held in memory together while its sessions are built, the run's own and, for a visitor the run cannot continue, all it stored "
            + "before, so time and memory grow with them; a monitor or script can be dropped with filters.bot_patterns (docs/operations.md, "
            + "\"Visitors who never go away\")"
    }
}
