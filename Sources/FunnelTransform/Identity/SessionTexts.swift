import FunnelCore

/// A session's texts rewritten at the output's edge (SPEC 11: `EmailRedaction`,
/// `IPRedaction`): its string fields, its event properties and, when asked, its events'
/// names. Nearly every session needs nothing: it is looked through first, without a copy or
/// a write (writing through the session's arrays cost 0.5% of a run's instructions), and
/// copied only when some text changes.
enum SessionTexts {
    /// `session` with every URL or path without its query (`URLRedaction`) and every IP
    /// address in a text written `(ip)` (`IPRedaction`), in one pass over its texts; the
    /// session itself when nothing changes (nearly always, found without a copy).
    static func withoutAddressesOrQueries(_ session: SessionRecord) -> SessionRecord {
        rewriting(session, eventNames: false) { text in
            let cut = URLRedaction.withoutQuery(text)
            return IPRedaction.withoutAddresses(cut ?? text) ?? cut
        }
    }

    /// `session` with each text that `rewrite` gives a new one for replaced by it; `rewrite`
    /// returns nil for a text that stays.
    static func rewriting(_ session: SessionRecord, eventNames: Bool, _ rewrite: (String) -> String?) -> SessionRecord {
        guard changes(session, eventNames: eventNames, rewrite) else { return session }
        var session = session
        for index in session.fields.indices {
            if case .string(let text) = session.fields[index].value, let new = rewrite(text) { session.fields[index].value = .string(new) }
        }
        for event in session.events.indices {
            if eventNames, let new = rewrite(session.events[event].name) { session.events[event].name = new }
            for index in session.events[event].properties.indices {
                if case .string(let text) = session.events[event].properties[index].value, let new = rewrite(text) {
                    session.events[event].properties[index].value = .string(new)
                }
            }
        }
        return session
    }

    private static func changes(_ session: SessionRecord, eventNames: Bool, _ rewrite: (String) -> String?) -> Bool {
        for field in session.fields {
            if case .string(let text) = field.value, rewrite(text) != nil { return true }
        }
        for event in session.events {
            if eventNames, rewrite(event.name) != nil { return true }
            for property in event.properties {
                if case .string(let text) = property.value, rewrite(text) != nil { return true }
            }
        }
        return false
    }
}
