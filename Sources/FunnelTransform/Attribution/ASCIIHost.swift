/// A host name's bytes when it is ASCII, and the comparisons `ReferrerHosts` makes of such
/// hosts, without a `String` or a `Substring` made.
///
/// On ASCII a byte comparison is what `String`'s `==` and `hasSuffix` give (no ASCII text is
/// canonically equivalent to another text but itself, once lower-cased), so `ReferrerHosts`
/// takes these for ASCII hosts and keeps the string forms for any other.
enum ASCIIHost {
    typealias Bytes = UnsafeBufferPointer<UInt8>

    /// `body` with `text`'s UTF-8 bytes when they are all ASCII; nil otherwise (or when the
    /// string has no contiguous UTF-8, which a native string always has).
    static func with<Result>(_ text: String, _ body: (Bytes) -> Result) -> Result? {
        text.utf8.withContiguousStorageIfAvailable { bytes -> Result? in
            for byte in bytes where byte >= 0x80 { return nil }
            return body(bytes)
        } ?? nil
    }

    /// `host` is `domain` or ends with a dot and `domain` (one of its subdomains).
    static func matches(_ host: Bytes, _ domain: Bytes) -> Bool {
        if host.count == domain.count { return sameBytes(host, domain) }
        guard host.count > domain.count else { return false }
        let start = host.count - domain.count
        return host[start - 1] == UInt8(ascii: ".") && sameBytes(Bytes(rebasing: host[start...]), domain)
    }

    static func matches(_ host: Bytes, _ domain: [UInt8]) -> Bool {
        domain.withUnsafeBufferPointer { matches(host, $0) }
    }

    static func same(_ a: Bytes, _ b: [UInt8]) -> Bool {
        b.withUnsafeBufferPointer { sameBytes(a, $0) }
    }

    /// The label before the host's public suffix, as `ReferrerHosts.providerLabels(of:)`
    /// finds it: labels are the non-empty runs between dots (`split` drops empty ones); with
    /// three labels or more and a second-level one of `co`, `com`, `ac`, `or`, `ne` or `go`
    /// the suffix is two labels, else one; nil for a host of fewer than two labels.
    static func providerName(of host: Bytes) -> Bytes? {
        // The last three non-empty labels, from the end.
        var labels: (Range<Int>, Range<Int>, Range<Int>) = (0..<0, 0..<0, 0..<0)
        var found = 0
        var end = host.count
        var index = host.count
        while found < 3 {
            if index == 0 || host[index - 1] == UInt8(ascii: ".") {
                if index < end {
                    switch found {
                    case 0: labels.0 = index..<end
                    case 1: labels.1 = index..<end
                    default: labels.2 = index..<end
                    }
                    found += 1
                }
                if index == 0 { break }
                end = index - 1
            }
            index -= 1
        }
        guard found >= 2 else { return nil }
        let secondLevel = Bytes(rebasing: host[labels.1])
        let twoLabelSuffix = found == 3 && secondLevelSuffixes.contains { same(secondLevel, $0) }
        return Bytes(rebasing: host[twoLabelSuffix ? labels.2 : labels.1])
    }

    /// The second-level labels `providerLabels(of:)` takes for part of a public suffix.
    private static let secondLevelSuffixes: [[UInt8]] = ["co", "com", "ac", "or", "ne", "go"].map { Array($0.utf8) }
}
