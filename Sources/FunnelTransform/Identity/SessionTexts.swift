import FunnelCore

/// A session's texts rewritten at the output's edge (SPEC 11: `EmailRedaction`,
/// `URLRedaction`, `IPRedaction`): its string fields, its event properties and its events'
/// names. Nearly every session needs nothing: it is looked through first, without
/// a copy or a write (writing through the session's arrays cost 0.5% of a run's
/// instructions), and copied only when some text changes.
public enum SessionTexts {
    /// What a session is written with (SPEC 11), in one pass over its texts: its id replaced
    /// by `standIn(id)` when it may be an e-mail or IP address; in every text, e-mail
    /// addresses written `(email)`, a URL or path without its query, IP addresses written
    /// `(ip)`; in event names the same (a URL's query in a name since 2026-12-06). (Two passes, the e-mail
    /// addresses' and then the others', cost 0.45% of a run's instructions more: callgrind of
    /// the bench's S, 2026-12-05.)
    static func redacted(_ session: SessionRecord, standIn: (String) -> String) -> SessionRecord {
        var session = session
        if VisitorIdentity.needsStandIn(session.id) { session.id = standIn(session.id) }
        return rewriting(session) { withoutPersonalData($0, queries: true) }
    }

    /// `text` with its e-mail addresses, its query when it is a URL or path (`queries`) and
    /// its IP addresses redacted; nil when nothing changes. A text that held an IP address
    /// only behind percent escapes is written decoded (`IPRedaction`), which may uncover an
    /// e-mail address or a query too (`/go%3Femail%3Dfan%2540example.org%26ip%3D10.0.0.1`):
    /// such a text goes through the e-mail and URL steps again (a review of the decoding).
    /// Also what a warning quoting an input's value is written with (`LineSource.quotable`).
    public static func withoutPersonalData(_ text: String, queries: Bool) -> String? {
        guard mayHoldPersonalData(text) else { return nil }
        let mailed = EmailRedaction.redacted(text)
        let cut = queries ? URLRedaction.withoutQuery(mailed ?? text) : nil
        guard let addressless = IPRedaction.withoutAddresses(cut ?? mailed ?? text) else { return cut ?? mailed }
        let again = EmailRedaction.redacted(addressless) ?? addressless
        return queries ? URLRedaction.withoutQuery(again) ?? again : again
    }

    /// Whether `text` has a byte one of the three steps starts from: `@` or `%` (an e-mail
    /// address, plain or escaped), `?` or `#` (a query), a colon or a dot after a digit (an IP
    /// address; `%` again for an escaped one): the union of the steps' own first checks
    /// (`EmailRedaction.redacted`'s scan, `URLRedaction.withoutQuery`'s `memchr`s,
    /// `IPRedaction.signs`), which `SessionTextsTests` holds it to. A text without any of them
    /// comes out of all three unchanged. Nearly every text of a session (a channel, a device,
    /// a utm value, an event name) has none, and one loop over its bytes passes it where the
    /// three steps each looked it through on their own: 78 million instructions of the
    /// bench's S run with the retains around them, against 15 million for this loop.
    @inline(__always)
    static func mayHoldPersonalData(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            var afterDigit = false
            for byte in bytes {
                // Letters, most of a text's bytes, are passed with one comparison: every byte
                // looked for is at most `@` (0x40).
                guard byte <= UInt8(ascii: "@") else {
                    afterDigit = false
                    continue
                }
                switch byte {
                case UInt8(ascii: "@"), UInt8(ascii: "%"), UInt8(ascii: "?"), UInt8(ascii: "#"), UInt8(ascii: ":"): return true
                case UInt8(ascii: "."): if afterDigit { return true }
                default: break
                }
                afterDigit = IPRedaction.isDigit(byte)
            }
            return false
        }
    }

    /// `session` with each text and event name that `rewrite` gives a new one for replaced by
    /// it; it returns nil for a text that stays. (Event names had a rewrite of their own, without
    /// the URL step, until 2026-12-06.)
    private static func rewriting(_ session: SessionRecord, _ rewrite: (String) -> String?) -> SessionRecord {
        guard changes(session, rewrite) else { return session }
        var session = session
        for index in session.fields.indices {
            if case .string(let text) = session.fields[index].value, let new = rewrite(text) { session.fields[index].value = .string(new) }
        }
        for event in session.events.indices {
            if let new = rewrite(session.events[event].name) { session.events[event].name = new }
            for index in session.events[event].properties.indices {
                if case .string(let text) = session.events[event].properties[index].value, let new = rewrite(text) {
                    session.events[event].properties[index].value = .string(new)
                }
            }
        }
        return session
    }

    private static func changes(_ session: SessionRecord, _ rewrite: (String) -> String?) -> Bool {
        for field in session.fields {
            if case .string(let text) = field.value, rewrite(text) != nil { return true }
        }
        for event in session.events {
            if rewrite(event.name) != nil { return true }
            for property in event.properties {
                if case .string(let text) = property.value, rewrite(text) != nil { return true }
            }
        }
        return false
    }
}
