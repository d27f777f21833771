import FunnelCore

/// Turns NDJSON event lines into records (SPEC 1.2).
///
/// Only the fields and properties funnel uses are decoded; everything else is skipped on the
/// byte level. The dialect says where an export keeps them (`CanonicalDialect.swift`,
/// `PostHogDialect.swift`, `SegmentDialect.swift`); a `FieldMapping` can move any of them
/// elsewhere. Every dialect rejects a line without `event` or `timestamp` the same way.
public struct NDJSONParser: Sendable {
    public enum Dialect: String, Sendable, CaseIterable {
        /// funnel's own field names (SPEC 1.2).
        case canonical
        /// PostHog's event export: `event`, `distinct_id`, `uuid`, `$`-properties.
        case posthog
        /// Segment's Track/Page messages: `anonymousId`, `messageId`, `context`.
        case segment
    }

    public enum Outcome {
        case record(Record)
        case reject(RejectReason, detail: String)
        /// A well-formed line that is deliberately not an event (Segment's identify calls).
        case skip(FilterReason)
    }

    public let dialect: Dialect
    public let mapping: FieldMapping?
    /// An export's event names and funnel's for them: the dialect's own
    /// (`SegmentDialect.segmentEventNames`) under the pipeline's `event_names`.
    public let eventNames: [String: String]
    /// The events `clientEvent` takes (`eventsTaken(renaming:)`).
    let takenEvents: UInt16

    public init(dialect: Dialect = .canonical, mapping: FieldMapping? = nil, eventNames: [String: String] = [:]) {
        self.dialect = dialect
        self.mapping = mapping
        self.eventNames = (dialect == .segment ? EventFields.segmentEventNames : [:]).merging(eventNames) { $1 }
        takenEvents = Self.eventsTaken(renaming: self.eventNames)
    }

    public func parse(_ line: UnsafeRawBufferPointer) -> Outcome {
        var unreadNumber: String?
        return parse(line, unreadNumber: &unreadNumber)
    }

    /// `parse(_:)`, also giving the first numeric property the line holds that is no number
    /// funnel can read (`"value": "12,50"`); its event is kept without it. With `describing`
    /// false such a property is given as an empty text: a caller that quotes only a file's
    /// first one need not have the others built (each holds up to 4 KiB of the line).
    public func parse(_ line: UnsafeRawBufferPointer, unreadNumber: inout String?, describing: Bool = true) -> Outcome {
        var found: UInt64 = 0
        return parse(line, unreadNumber: &unreadNumber, describing: describing, mappedFound: &found)
    }

    /// `parse(_:unreadNumber:describing:)`, also adding to `mappedFound` the bits of the
    /// mappings whose paths the line holds (`FieldMapping.ends`), so that a path no line of a
    /// file holds can be said.
    public func parse(_ line: UnsafeRawBufferPointer, unreadNumber: inout String?, describing: Bool, mappedFound: inout UInt64) -> Outcome {
        var bytes = line.bindMemory(to: UInt8.self)
        // A byte-order mark at the start of a line (usually the file's first) is not content.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            bytes = UnsafeBufferPointer(rebasing: bytes[3...])
        }
        let scanner = JSONScanner(bytes)
        var fields = EventFields()
        fields.describesUnreadNumber = describing
        var pending: [FieldMapping.Pending] = []
        do {
            try scanner.forEachMember { key, keyEscaped, value throws(JSONScanner.Failure) in
                switch dialect {
                case .canonical: try fields.takeCanonical(key: key, value: value, scanner: scanner)
                case .posthog: try fields.takePostHog(key: key, value: value, scanner: scanner)
                case .segment: try fields.takeSegment(key: key, value: value, scanner: scanner)
                }
                mapping?.collect(key: key, escaped: keyEscaped, value: value, in: scanner, into: &pending)
            }
            // The mapping before the dialect's last step, which names events (PostHog's
            // `$pageview`, Segment's page calls) and fills what is still missing from its
            // second choices: a mapped `$pageview` is a PageView too (until 2026-12-05 it was not).
            if let mapping { try mapping.apply(pending, to: &fields, in: scanner, found: &mappedFound) }
            switch dialect {
            case .canonical: break
            case .posthog: fields.finishPostHog()
            case .segment: fields.finishSegment()
            }
        } catch {
            return .reject(error.notAnObject ? .notAnObject : .badJSON, detail: error.message)
        }
        // Renamed after the dialect named it (a PostHog `$pageview` is `PageView` first).
        if !eventNames.isEmpty, let name = fields.event, let renamed = eventNames[name] { fields.event = renamed }
        // Segment's `total` or `revenue` that is no number, for a purchase left without an
        // amount: said as a `value` that is none is (rv75e; rv75h: not for other events).
        if fields.event == "Purchase", fields.record.properties.value == nil, fields.unreadNumber == nil,
           let unread = fields.fallback.unreadAmount {
            fields.unreadNumber = (.value, unread)
        }
        fields.noteUnreadConsent()
        unreadNumber = fields.unreadNumber?.text
        return fields.makeRecord()
    }
}
