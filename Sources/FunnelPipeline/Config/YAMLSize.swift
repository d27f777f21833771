internal import CYaml

/// The number of nodes a YAML text holds once its aliases are expanded, counted from libyaml's
/// events (Yams's own C target) before Yams composes the text: Yams hashes every mapping key
/// while composing, a key that is an alias of a large tree included, so a count made after
/// composing came too late (rv74d: a 1.6 KB file with `? *a7 : 1` spun 33 s, one level more
/// an hour, before the refusal). Counting costs one pass over the events and no expansion.
enum YAMLSize {
    /// The count, or `limit + 1` as soon as it passes `limit`; nil when libyaml cannot parse
    /// the text (Yams then says where, in its words).
    static func expandedNodes(_ text: String, limit: Int) -> Int? {
        var bytes = Array(text.utf8)
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        return bytes.withUnsafeMutableBufferPointer { buffer -> Int? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var anchors: [String: Int] = [:]
            // The open collections: their anchor and their nodes so far, themselves included.
            var open: [(anchor: String?, nodes: Int)] = []
            var total = 0
            func add(_ nodes: Int, anchor: String?) {
                if let anchor { anchors[anchor] = nodes }
                if open.isEmpty {
                    total = min(limit + 1, total + nodes)
                } else {
                    open[open.count - 1].nodes = min(limit + 1, open[open.count - 1].nodes + nodes)
                }
            }
            func name(_ anchor: UnsafeMutablePointer<yaml_char_t>?) -> String? {
                anchor.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            }
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                switch event.type {
                case YAML_STREAM_END_EVENT: return total
                case YAML_SCALAR_EVENT: add(1, anchor: name(event.data.scalar.anchor))
                case YAML_ALIAS_EVENT: add(name(event.data.alias.anchor).flatMap { anchors[$0] } ?? 1, anchor: nil)
                case YAML_SEQUENCE_START_EVENT: open.append((name(event.data.sequence_start.anchor), 1))
                case YAML_MAPPING_START_EVENT: open.append((name(event.data.mapping_start.anchor), 1))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    guard let closed = open.popLast() else { return nil }
                    add(closed.nodes, anchor: closed.anchor)
                default: break
                }
                if total > limit { return total }
            }
        }
    }
}
