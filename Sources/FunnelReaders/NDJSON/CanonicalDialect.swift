/// The canonical dialect (SPEC 1.2): the fields at the top level under their canonical names;
/// properties at the top level or under `properties`. When both hold the same key, the one
/// later in the line wins, as with most JSON readers.
extension EventFields {
    mutating func takeCanonical(key: Range<Int>, value: JSONScanner.Value, scanner s: JSONScanner) throws(JSONScanner.Failure) {
        if s.keyEquals(key, "properties") {
            if case .object(let range) = value {
                try s.forEachMember(in: range) { key, _, value throws(JSONScanner.Failure) in
                    takeProperty(key: key, value: value, scanner: s)
                }
            }
            return
        }
        if let target = FieldTarget.canonical(forKey: key, in: s) {
            set(target, value, s)
        } else {
            takeProperty(key: key, value: value, scanner: s)
        }
    }
}
