import FunnelCore

/// The fields and events of schema `mvp` (SPEC 5 and 7) for one session.
enum MVPFields {
    static func record(for facts: SessionFacts, firstTouch: Int64, consent: ConsentState) -> SessionRecord {
        var fields = FieldList(capacity: 13)
        fields.add(FieldName.utmSource, facts.utm?.utmSource)
        fields.add(FieldName.utmMedium, facts.utm?.utmMedium)
        fields.add(FieldName.utmCampaign, facts.utm?.utmCampaign)
        fields.add(FieldName.utmContent, facts.utm?.utmContent)
        fields.add(FieldName.firstTouchTimestamp, .integer(firstTouch))
        fields.add(FieldName.landingPage, facts.landingPage)
        fields.add(FieldName.contentViewed, facts.contentViewed)
        fields.add(FieldName.donationInitiated, .bool(facts.initiated))
        fields.add(FieldName.donationCompleted, .bool(facts.completed))
        fields.add(FieldName.donationAmount, facts.completed ? facts.amount.map(FieldValue.amount) : nil)
        fields.add(FieldName.fbclid, consent.marketingDenied ? nil : facts.fbclid)
        fields.add(FieldName.country, facts.country ?? facts.geoCountry)
        fields.add(FieldName.createdAt, .integer(facts.start))
        let events = facts.written.map { record in
            var properties: [Field] = []
            if record.event == "Purchase", let value = record.properties.value {
                properties.append(Field("value", .amount(value)))
            }
            return EventRecord(name: record.event, properties: properties, timestamp: record.timestamp)
        }
        return SessionRecord(id: facts.session.id, start: facts.start, fields: fields.fields, events: events)
    }
}

/// Builds a field list, leaving out fields without a value (SPEC 5).
struct FieldList {
    var fields: [Field] = []

    /// Room for `capacity` fields made at once: grown one field at a time, a session's list
    /// was allocated and copied four or five times (40 million instructions of the bench's S
    /// run).
    init(capacity: Int = 0) {
        fields.reserveCapacity(capacity)
    }

    mutating func add(_ name: String, _ value: FieldValue?) {
        if let value { fields.append(Field(name, value)) }
    }

    /// A text of white space alone (`utm_source=%20`, `"city":" "`) is no value (SPEC 5: a
    /// field with no value is left out); until 2026-12-05 it was written as `" "`.
    mutating func add(_ name: String, _ text: String?) {
        if let text, !Self.isBlank(text) { fields.append(Field(name, .string(text))) }
    }

    /// Empty, or white space alone; most texts are told by their first byte. White space
    /// beyond ASCII counts (a no-break space, `utm_medium=%C2%A0`, was a medium until
    /// 2026-12-06; a review).
    static func isBlank(_ text: String) -> Bool {
        // Nearly every text starts with a printable ASCII character: told at once.
        if let first = text.utf8.first, first > 0x20, first < 0x80 { return false }
        for byte in text.utf8 where byte != 0x20 && !(byte >= 0x09 && byte <= 0x0D) {
            return byte >= 0x80 && text.unicodeScalars.allSatisfy(\.properties.isWhitespace)
        }
        return true
    }
}
