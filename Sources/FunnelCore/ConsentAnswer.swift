/// A Consent event's answer for one purpose (SPEC 11), read where it is read and where it
/// counts, so the two agree on what is an answer.
public enum ConsentAnswer {
    /// `true` for granted (`granted`, `true`, `yes`), `false` for denied (`denied`, `false`,
    /// `no`), in any case and with spaces and line ends around it; nil for anything else,
    /// which is no answer (the reader says so in the run's warnings).
    public static func isGranted(_ text: String) -> Bool? {
        let words = text.lowercased().split(whereSeparator: \.isWhitespace)
        guard words.count == 1 else { return nil }
        switch words[0] {
        case "granted", "true", "yes": return true
        case "denied", "false", "no": return false
        default: return nil
        }
    }
}
