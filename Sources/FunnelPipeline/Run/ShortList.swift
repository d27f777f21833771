/// A list for a message: its first items and how many more there are, so a summary line naming
/// a thousand files or days stays a line.
enum ShortList {
    /// `items` joined by `separator`, the first `first` of them, then `and N more`.
    static func text(_ items: [String], first: Int, separator: String) -> String {
        items.prefix(first).joined(separator: separator) + (items.count > first ? "\(separator)and \(items.count - first) more" : "")
    }
}
