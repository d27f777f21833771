import FunnelCore

/// The fields and events of schema `mvp` (SPEC 5 and 7) for one session.
enum MVPFields {
    static func record(for session: Sessionizer.Session, firstTouch: Int64) -> SessionRecord {
        let records = session.records
        var fields: [Field] = []
        func add(_ name: String, _ value: FieldValue?) {
            if let value { fields.append(Field(name, value)) }
        }
        // UTM fields come together from the first record whose URL has any utm parameter.
        var utm: Campaign?
        var fbclid: String?
        for record in records where record.query != nil && (utm == nil || fbclid == nil) {
            let parameters = QueryParameters(record.query)
            if utm == nil, let campaign = Campaign(parameters), campaign.hasUTM { utm = campaign }
            if fbclid == nil { fbclid = parameters["fbclid"] }
        }
        let initiated = records.contains { $0.event == "InitiateCheckout" }
        let purchases = records.filter { $0.event == "Purchase" }
        var amount: Amount?
        for purchase in purchases {
            guard let value = purchase.properties.value else { continue }
            amount = (amount ?? .zero).adding(value) ?? amount
        }
        let content = records.first { $0.event == "ViewContent" && $0.properties.content != nil }?.properties.content
            ?? records.first { $0.event == "VideoStart" && $0.properties.content != nil }?.properties.content

        add(FieldName.utmSource, utm?.utmSource.map(FieldValue.string))
        add(FieldName.utmMedium, utm?.utmMedium.map(FieldValue.string))
        add(FieldName.utmCampaign, utm?.utmCampaign.map(FieldValue.string))
        add(FieldName.utmContent, utm?.utmContent.map(FieldValue.string))
        add(FieldName.firstTouchTimestamp, .integer(firstTouch))
        add(FieldName.landingPage, records.first { $0.event == "PageView" && $0.path != nil }?.path.map(FieldValue.string))
        add(FieldName.contentViewed, content.map(FieldValue.string))
        add(FieldName.donationInitiated, .bool(initiated))
        add(FieldName.donationCompleted, .bool(!purchases.isEmpty))
        add(FieldName.donationAmount, purchases.isEmpty ? nil : amount.map(FieldValue.amount))
        add(FieldName.fbclid, fbclid.map(FieldValue.string))
        add(FieldName.country, records.first { $0.country != nil }?.country.map(FieldValue.string))
        add(FieldName.createdAt, .integer(session.start))

        let events = records.map { record in
            var properties: [Field] = []
            if record.event == "Purchase", let value = record.properties.value {
                properties.append(Field("value", .amount(value)))
            }
            return EventRecord(name: record.event, properties: properties, timestamp: record.timestamp)
        }
        return SessionRecord(id: session.id, start: session.start, fields: fields, events: events)
    }
}
