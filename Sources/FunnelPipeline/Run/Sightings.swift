/// Things of one kind a run met and says in one warning: how many, and the first of them as
/// the warning names it (its file and line or time). `ReadStage.Tally` keeps one for each such
/// warning, and `Runner` words them; they were a count and a text apiece, with the same
/// three lines to keep and to say each.
struct Sightings {
    private(set) var count = 0
    private(set) var first: String?

    /// Counts `count` more; `first` is made only while none is kept.
    mutating func note(_ count: Int = 1, first: @autoclosure () -> String?) {
        self.count += count
        if self.first == nil { self.first = first() }
    }

    /// The warning's opening words, `one` for one ("1 record is") or the count and `many`
    /// ("records are"), and its first; nil when there were none.
    func said(one: String, many: String) -> (count: String, first: String)? {
        guard count > 0 else { return nil }
        return (count == 1 ? one : "\(count) \(many)", first ?? "?")
    }
}
