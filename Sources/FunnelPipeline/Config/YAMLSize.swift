internal import CYaml

/// The number of nodes a YAML text holds once its aliases are expanded, counted from libyaml's
/// events (Yams's own C target) before Yams composes the text: Yams hashes every mapping key
/// while composing, a key that is an alias of a large tree included, so a count made after
/// composing came too late (rv74d: a 1.6 KB file with `? *a7 : 1` spun 33 s, one level more
/// an hour, before the refusal). Counting costs one pass over the events and no expansion.
enum YAMLSize {
    /// What the count found to refuse.
    enum Problem: Equatable {
        /// More than the limit of nodes, each alias counted as the nodes it stands for.
        case tooLarge
        /// A mapping key that is a list, a mapping or an alias, at this line (1-based): Yams
        /// hashes such a key whole for each mapping around it (rv74e: 990 nested explicit keys
        /// of a 78,000-node alias, 10 KB, took 16.6 s), and a pipeline's keys are plain words.
        case keyNotAWord(line: Int)
    }

    /// The first problem of `text`, or nil; nil too when libyaml cannot parse the text, or
    /// at its second document (Yams then says where, in its words).
    static func problem(_ text: String, limit: Int) -> Problem? {
        var bytes = Array(text.utf8)
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        return bytes.withUnsafeMutableBufferPointer { buffer -> Problem? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var anchors: [String: Int] = [:]
            // The open collections: their anchor, their nodes so far (themselves included),
            // and for a mapping whether its next node is a key.
            var open: [(anchor: String?, nodes: Int, mapping: Bool, keyNext: Bool)] = []
            var total = 0
            var documents = 0
            func add(_ nodes: Int, anchor: String?) {
                if let anchor { anchors[anchor] = nodes }
                if open.isEmpty {
                    total = min(limit + 1, total + nodes)
                } else {
                    open[open.count - 1].nodes = min(limit + 1, open[open.count - 1].nodes + nodes)
                    if open[open.count - 1].mapping { open[open.count - 1].keyNext.toggle() }
                }
            }
            func name(_ anchor: UnsafeMutablePointer<yaml_char_t>?) -> String? {
                anchor.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            }
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                let startsNode = [YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT, YAML_ALIAS_EVENT].contains(event.type)
                if startsNode, let owner = open.last, owner.mapping, owner.keyNext {
                    return .keyNotAWord(line: Int(event.start_mark.line) + 1)
                }
                switch event.type {
                case YAML_STREAM_END_EVENT: return nil
                case YAML_DOCUMENT_START_EVENT:
                    documents += 1
                    if documents > 1 { return nil }
                case YAML_SCALAR_EVENT: add(1, anchor: name(event.data.scalar.anchor))
                case YAML_ALIAS_EVENT: add(name(event.data.alias.anchor).flatMap { anchors[$0] } ?? 1, anchor: nil)
                case YAML_SEQUENCE_START_EVENT: open.append((name(event.data.sequence_start.anchor), 1, false, false))
                case YAML_MAPPING_START_EVENT: open.append((name(event.data.mapping_start.anchor), 1, true, true))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    guard let closed = open.popLast() else { return nil }
                    add(closed.nodes, anchor: closed.anchor)
                default: break
                }
                if total > limit || (open.last.map { $0.nodes > limit } ?? false) { return .tooLarge }
            }
        }
    }
}
