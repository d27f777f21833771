extension Array where Element == UInt8 {
    /// Appends the UTF-8 bytes of `text` in one copy. `append(contentsOf: text.utf8)` copies a
    /// string of 15 bytes or fewer (which Swift keeps inline, not in contiguous storage) one
    /// byte at a time, through the generic path: most fields of a record and of a session
    /// (event names, timestamps, paths, countries) are that short.
    @inlinable
    public mutating func appendUTF8(_ text: String) {
        var text = text
        text.withUTF8 { append(contentsOf: $0) }
    }
}
