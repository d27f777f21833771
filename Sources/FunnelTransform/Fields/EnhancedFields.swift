import FunnelCore

/// What the transformer knows about a session's visitor across all the visitor's sessions.
struct VisitorTouches {
    var firstTouchSource: String
    var firstTouchTimestamp: Int64
    var lastTouchSource: String
    var lastTouchTimestamp: Int64
    /// 1 for the visitor's first session.
    var sessionCount: Int

    /// First touch, last non-direct touch and ordinal of each of a visitor's sessions, given
    /// one at a time in start order (SPEC 5): a session's touches depend only on the sessions
    /// before it and itself.
    struct Tracker {
        private(set) var first: (source: String, timestamp: Int64)?
        private(set) var lastTouch: (source: String, timestamp: Int64)?
        private(set) var count = 0

        init() {}

        /// Where a visitor's earlier sessions left it.
        init(past: VisitorPast) {
            first = (past.firstSource, past.firstTimestamp)
            lastTouch = past.touchSource.map { ($0, past.touchTimestamp ?? 0) }
            count = past.sessions
        }

        mutating func next(channel: Channel, start: Int64) -> VisitorTouches {
            if first == nil { first = (channel.source, start) }
            // SPEC 5: the latest session "whose source is not `direct`": the source alone, so a
            // campaign tagged `utm_source=direct` (medium `(not set)`) is no touch either. Until
            // 2026-12-05 the whole channel was compared, and such a session was the last touch.
            if channel.source != Channel.direct.source { lastTouch = (channel.source, start) }
            count += 1
            return VisitorTouches(firstTouchSource: first!.source, firstTouchTimestamp: first!.timestamp,
                                  lastTouchSource: lastTouch?.source ?? Channel.direct.source,
                                  lastTouchTimestamp: lastTouch?.timestamp ?? start, sessionCount: count)
        }
    }
}

/// The fields and events of schema `enhanced` (SPEC 5 and 7) for one session.
enum EnhancedFields {
    static func record(for facts: SessionFacts, touches: VisitorTouches, consent: ConsentState, slots: [ContentSlot]) -> SessionRecord {
        let records = facts.session.records
        let channel = facts.channel
        let video = VideoEngagement(records: records, slots: slots)
        let marketingAllowed = !consent.marketingDenied
        var fields = FieldList(capacity: 37)
        fields.add(FieldName.utmSource, facts.utm?.utmSource)
        fields.add(FieldName.utmMedium, facts.utm?.utmMedium)
        fields.add(FieldName.utmCampaign, facts.utm?.utmCampaign)
        fields.add(FieldName.utmContent, facts.utm?.utmContent)
        fields.add(FieldName.utmTerm, facts.utm?.utmTerm)
        fields.add(FieldName.firstTouchSource, touches.firstTouchSource)
        fields.add(FieldName.firstTouchTimestamp, .integer(touches.firstTouchTimestamp))
        fields.add(FieldName.lastTouchSource, touches.lastTouchSource)
        fields.add(FieldName.lastTouchTimestamp, .integer(touches.lastTouchTimestamp))
        fields.add(FieldName.source, channel.source)
        fields.add(FieldName.medium, channel.medium)
        fields.add(FieldName.referrer, facts.referrerHost)
        fields.add(FieldName.landingPage, facts.landingPage)
        fields.add(FieldName.contentViewed, facts.contentViewed)
        for (slot, engagement) in zip(slots, video.slots) {
            fields.add(slot.name + "_watched", .bool(engagement.watched))
            fields.add(slot.name + "_completion", engagement.completion.map(FieldValue.integer))
        }
        fields.add(FieldName.totalWatchTime, video.totalWatchTime.map(FieldValue.amount))
        fields.add(FieldName.donationInitiated, .bool(facts.initiated))
        fields.add(FieldName.donationCompleted, .bool(facts.completed))
        fields.add(FieldName.donationAmount, facts.completed ? facts.amount.map(FieldValue.amount) : nil)
        fields.add(FieldName.checkoutType, facts.checkoutType)
        if facts.completed, let purchase = facts.firstPurchase {
            fields.add(FieldName.timeToConversion, .integer(purchase - touches.firstTouchTimestamp))
        }
        fields.add(FieldName.fbclid, marketingAllowed ? facts.fbclid : nil)
        fields.add(FieldName.gclid, marketingAllowed ? facts.gclid : nil)
        // An identified user's id is often an e-mail address, which no output may hold (SPEC 11).
        fields.add(FieldName.posthogDistinctID, marketingAllowed ? facts.distinctID.flatMap(Self.unlessEmail) : nil)
        fields.add(FieldName.userID, facts.userID.flatMap(Self.unlessEmail))
        fields.add(FieldName.deviceType, facts.deviceType)
        fields.add(FieldName.browser, facts.browser)
        fields.add(FieldName.country, facts.country ?? facts.geoCountry)
        // SPEC 6: the database's city only beside its own country. A record's country (a CDN's
        // header, the event's field) that the database places elsewhere keeps no city rather
        // than one of another country (until 2026-12-05 such a session could be "DE, Seattle").
        fields.add(FieldName.city, facts.city ?? (facts.country == nil || facts.country == facts.geoCountry ? facts.geoCity : nil))
        fields.add(FieldName.sessionCount, .integer(Int64(touches.sessionCount)))
        fields.add(FieldName.consentAnalytics, consent.analytics)
        fields.add(FieldName.consentMarketing, consent.marketing)
        fields.add(FieldName.sessionEnd, .integer(facts.end))
        fields.add(FieldName.eventCount, .integer(Int64(facts.written.count)))
        fields.add(FieldName.pageViews, .integer(Int64(facts.pageViews)))
        fields.add(FieldName.createdAt, .integer(facts.start))
        return SessionRecord(id: facts.session.id, start: facts.start, fields: fields.fields, events: facts.written.map(event))
    }

    /// An id as given, unless it is or holds an e-mail or an IP address: left out, as its
    /// redaction (`(ip)`, which a `distinct_id` that was an address became until 2026-12-06; a
    /// review) names nobody.
    static func unlessEmail(_ id: String) -> String? {
        EmailRedaction.mayBeAddress(id) || IPRedaction.containsAddress(id) ? nil : id
    }

    /// Looked up for every PageView: prepared once.
    private static let utmSourceName = QueryParameters.Names(["utm_source"])

    /// SPEC 7: the properties the enhanced schema keeps, per event name, in this order.
    static func event(_ record: Record) -> EventRecord {
        var properties = FieldList()
        let p = record.properties
        switch record.event {
        case "PageView":
            properties.add("page", record.path)
            properties.add("utm_source", record.query.flatMap { QueryParameters($0).firstValue(of: utmSourceName) })
        case let name where name == "ViewContent" || VideoEngagement.isVideoEvent(name):
            // Every Video* event, as the engagement fields count them (a custom VideoPause too).
            properties.add("content", p.content)
            properties.add("percent", p.percent.map(FieldValue.integer))
        case "ButtonClick":
            properties.add("element", p.element)
        case "InitiateCheckout":
            properties.add("value", p.value.map(FieldValue.amount))
            properties.add("checkout_type", p.checkoutType)
        case "FormSubmit":
            properties.add("step", p.step)
        case "Purchase":
            properties.add("value", p.value.map(FieldValue.amount))
            properties.add("payment_method", p.paymentMethod)
        default:
            break
        }
        return EventRecord(name: record.event, properties: properties.fields, timestamp: record.timestamp)
    }
}
