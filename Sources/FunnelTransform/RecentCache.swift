import FunnelCore

/// A cache of recent results whose memory stays bounded however long the input is.
///
/// Repeated keys in traffic come close together: the lines of one visit, the agents of one
/// hour. Two generations keep them: lookups search both, inserts go to the newer, and when the
/// newer one holds `entryLimit` keys or `byteLimit` bytes of keys it becomes the older and the
/// older is dropped. A key still in use is copied forward when the older generation answers,
/// so it survives the next switch; a key not seen for a generation's worth of new keys is
/// computed again. A cache that only grew (or was only emptied at a limit far above what
/// one hour needs) would make a long backfill hold every key it ever saw.
///
/// Keys are long (a user agent is 100 to 200 bytes) and looked up a few times per input line,
/// so each is hashed once, eight bytes at a step (`HashedText`), instead of by `String`'s
/// SipHash byte stream in each generation.
struct RecentCache<Value> {
    let entryLimit: Int
    let byteLimit: Int
    private var newer: [HashedText: Value] = [:]
    private var older: [HashedText: Value] = [:]
    private var newerBytes = 0

    init(entryLimit: Int, byteLimit: Int) {
        self.entryLimit = max(1, entryLimit)
        self.byteLimit = max(1, byteLimit)
    }

    /// Keys held in both generations: at most twice `entryLimit`.
    var count: Int { newer.count + older.count }

    mutating func value(for text: String) -> Value? {
        value(for: HashedText(text))
    }

    mutating func insert(_ value: Value, for text: String) {
        insert(value, for: HashedText(text))
    }

    /// The cached value for `text`, or `compute()`'s, which is then cached.
    mutating func value(for text: String, orCompute compute: () -> Value) -> Value {
        let key = HashedText(text)
        if let value = value(for: key) { return value }
        let value = compute()
        insert(value, for: key)
        return value
    }

    private mutating func value(for key: HashedText) -> Value? {
        if let value = newer[key] { return value }
        guard let value = older[key] else { return nil }
        insert(value, for: key)
        return value
    }

    private mutating func insert(_ value: Value, for key: HashedText) {
        if newer.count >= entryLimit || newerBytes >= byteLimit {
            swap(&newer, &older)
            newer.removeAll(keepingCapacity: true)
            newerBytes = 0
        }
        if newer.updateValue(value, forKey: key) == nil { newerBytes += key.text.utf8.count }
    }
}
