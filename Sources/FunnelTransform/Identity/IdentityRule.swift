import FunnelCore

/// Checks a record's identity before it is kept (SPEC 4 and 11): ids from input must be valid,
/// and a record must carry something to know its visitor by.
public enum IdentityRule {
    /// Clears the ids of `record` that are placeholders (`Identifier.isPlaceholder`): each is
    /// every such client's, and read as no id before `violation` asks what is left; names the
    /// first as a warning quotes it, nil when there was none. (A page view's cookies are asked
    /// on their bytes by the read stage, which counts them.)
    public static func withoutPlaceholders(_ record: inout Record) -> String? {
        var first: String?
        func clear(_ id: inout String?, _ name: String) {
            guard let given = id, Identifier.isPlaceholder(given) else { return }
            if first == nil { first = "\(name) \"\(given)\"" }
            id = nil
        }
        clear(&record.eventID, "event_id")
        clear(&record.sessionID, record.origin == .client ? "session_id" : "session cookie")
        clear(&record.visitorID, record.origin == .client ? "anonymous_id" : "visitor cookie")
        clear(&record.userID, "user_id")
        return first
    }

    /// The reason to reject the record, or nil when its identity is usable.
    public static func violation(_ record: Record) -> (RejectReason, String)? {
        if let id = record.sessionID, !Identifier.isValid(id) {
            return (.invalidID, "session id is not printable ASCII without spaces or braces, or is over \(Identifier.maxLength) bytes")
        }
        if let id = record.visitorID, !Identifier.isValid(id) {
            return (.invalidID, "visitor id is not printable ASCII without spaces or braces, or is over \(Identifier.maxLength) bytes")
        }
        if let id = record.sessionID, Identifier.hasMadeShape(id) { return (.invalidID, "session id " + Identifier.madeShapeProblem) }
        if let id = record.visitorID, Identifier.hasMadeShape(id) { return (.invalidID, "visitor id " + Identifier.madeShapeProblem) }
        if record.visitorID == nil && record.sessionID == nil && (record.ip ?? "").isEmpty {
            return (.noIdentity, "no visitor id, no session id and no IP address")
        }
        return nil
    }

    /// Whether `violation` finds nothing in the record an access-log line's fields
    /// (`PageViewFields`) would make; a line it would reject is made a record, for the reason.
    public static func allows(_ view: PageViewFields) -> Bool {
        if let id = view.sessionID, !Identifier.isValid(bytes: id) || Identifier.hasMadeShape(bytes: id) { return false }
        if let id = view.visitorID, !Identifier.isValid(bytes: id) || Identifier.hasMadeShape(bytes: id) { return false }
        return view.visitorID != nil || view.sessionID != nil || (view.remoteAddr?.count ?? 0) > 0
    }
}
