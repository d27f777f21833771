/// Where an export keeps the fields funnel reads, for dumps no built-in dialect describes
/// (a pipeline's `fields:` key): canonical names mapped to dotted JSON paths.
///
///     FieldMapping(["event": "type", "timestamp": "data.ts", "session_id": "props.sid", "value": "data.amount"])
///
/// Targets are the canonical dialect's names (`event`, `timestamp`, `session_id`,
/// `anonymous_id`, `user_id`, `event_id`, `url`, `page`, `referrer`, `user_agent`, `ip`,
/// `country`, `city`), `distinct_id`, and the property names (`value`, `currency`, `content`,
/// `percent`, `watch_time`, `element`, `step`, `checkout_type`, `payment_method`, `analytics`,
/// `marketing`). A path names object members from the top of the line, one per dot; array
/// elements cannot be named, nor keys holding a dot.
///
/// The mapping applies on top of the dialect: a mapped path present in the line (and not
/// `null`) wins over what the dialect read; an absent one leaves the dialect's value.
public struct FieldMapping: Sendable, Hashable {
    /// Target name to path, as given.
    public let paths: [String: String]
    /// The paths as a tree of member names, so a line is walked once per level whatever the
    /// number of paths; node 0 is the top of the line.
    private let nodes: [Node]

    private struct Node: Sendable, Hashable {
        var key: [UInt8]
        var children: [Int] = []
        var targets: [FieldTarget] = []
        /// The bits, in `ends` order, of the mappings whose paths end here.
        var endBits: UInt64 = 0
    }

    /// Names every field a mapping may target.
    public static var targetNames: [String] { FieldTarget.all.map(\.name.description) }

    public init(_ paths: [String: String]) throws(FieldMappingError) {
        var nodes = [Node(key: [])]
        var ends: [(target: String, path: String)] = []
        for (name, path) in paths.sorted(by: { $0.key < $1.key }) {
            guard let target = FieldTarget(name: name) else {
                throw FieldMappingError(
                    "cannot map '\(name)': not a field funnel reads; use one of \(Self.targetNames.joined(separator: ", "))")
            }
            let components = path.split(separator: ".", omittingEmptySubsequences: false)
            guard !components.contains(where: \.isEmpty) else {
                throw FieldMappingError("the path '\(path)' of '\(name)' has an empty member name; write members joined by dots, e.g. data.ts")
            }
            // `items[0].price` or `a.b\\.c` would name keys holding those characters, which
            // no export has: they are what JSONPath writes for an element or an escaped dot,
            // and were taken as written and matched nothing until 2026-12-05.
            if let bad = path.first(where: { "[]\\".contains($0) }) {
                throw FieldMappingError("the path '\(path)' of '\(name)' holds '\(bad)': a path names object members joined by dots; array elements and keys holding a dot cannot be named")
            }
            var node = 0
            for component in components {
                let key = Array(component.utf8)
                if let child = nodes[node].children.first(where: { nodes[$0].key == key }) {
                    node = child
                } else {
                    nodes.append(Node(key: key))
                    nodes[node].children.append(nodes.count - 1)
                    node = nodes.count - 1
                }
            }
            nodes[node].targets.append(target)
            nodes[node].endBits |= 1 << UInt64(ends.count)
            ends.append((name, path))
        }
        self.paths = paths
        self.nodes = nodes
        self.ends = ends
    }

    /// Each mapping, `target: path`, in the order of the bits `apply` sets in `found` (one per
    /// target name, so fewer than 64).
    public let ends: [(target: String, path: String)]

    /// The mappings whose bits are not in `found`: paths a file's lines never held.
    public func unfound(_ found: UInt64) -> [(target: String, path: String)] {
        ends.indices.filter { found & (1 << UInt64($0)) == 0 }.map { ends[$0] }
    }

    public static func == (a: FieldMapping, b: FieldMapping) -> Bool { a.paths == b.paths }
    public func hash(into hasher: inout Hasher) { hasher.combine(paths) }

    /// A top-level member some path starts with, to be followed after the dialect's pass.
    struct Pending {
        var node: Int
        var value: JSONScanner.Value
    }

    /// The child of `node` whose name is `key`, if a path goes on through it.
    func child(of node: Int, key: Range<Int>, escaped: Bool, in s: JSONScanner) -> Int? {
        let children = nodes[node].children
        guard !children.isEmpty else { return nil }
        if escaped {
            guard let decoded = s.decodeString(key, escaped: true) else { return nil }
            let bytes = Array(decoded.utf8)
            return children.first { nodes[$0].key == bytes }
        }
        let raw = s.bytes(key)
        return children.first { nodes[$0].key.elementsEqual(raw) }
    }

    /// Notes a top-level member if a path starts there (called during the dialect's pass, so
    /// the line's top level is scanned once).
    func collect(key: Range<Int>, escaped: Bool, value: JSONScanner.Value, in s: JSONScanner, into pending: inout [Pending]) {
        if let node = child(of: 0, key: key, escaped: escaped, in: s) { pending.append(Pending(node: node, value: value)) }
    }

    /// Whether a mapped value is there for `target`, so that it replaces what the dialect read:
    /// not `""`, and not an object or array (a path that ends at one names no value), except
    /// for the session and visitor ids, where such a value is an invalid id (rejected, never
    /// taken for none). Until 2026-12-05 a mapped `""` or object wiped the dialect's value.
    static func gives(_ value: JSONScanner.Value, to target: FieldTarget) -> Bool {
        switch value {
        case .null: return false
        case .string(let range, _): return !range.isEmpty
        case .number, .bool: return true
        case .object, .array:
            if case .sessionID = target { return true }
            if case .visitorID = target { return true }
            return false
        }
    }

    /// Follows the collected members down their paths and sets the fields they end at.
    ///
    /// A queue, not recursion: each object on a path is scanned one level at a time, and
    /// members are taken in line order, so of two equal keys the later one wins.
    func apply(_ pending: [Pending], to fields: inout EventFields, in s: JSONScanner, found: inout UInt64) throws(JSONScanner.Failure) {
        var queue = pending
        var head = 0
        while head < queue.count {
            let (node, value) = (queue[head].node, queue[head].value)
            head += 1
            // A path that holds `null` holds no value (rv75h: it counted as found).
            if case .null = value { continue }
            found |= nodes[node].endBits
            for target in nodes[node].targets {
                if Self.gives(value, to: target) {
                    fields.set(target, value, s)
                } else if case .property(let property) = target {
                    // An amount, a share, a time or a consent answer that is an object or an
                    // array is said as an unread value (rv75f: `order.total` holding
                    // `{"amount":25,"currency":"EUR"}` lost the revenue without a word).
                    fields.noteUnread(property, value, s)
                }
            }
            if !nodes[node].children.isEmpty, case .object(let range) = value {
                try s.forEachMember(in: range) { key, escaped, member throws(JSONScanner.Failure) in
                    if let next = child(of: node, key: key, escaped: escaped, in: s) { queue.append(Pending(node: next, value: member)) }
                }
            }
        }
    }
}

/// A `fields:` mapping that cannot work; the message says which entry and why.
public struct FieldMappingError: Error, CustomStringConvertible, Sendable {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
