/// Command-line hygiene for `--redis-url` (SPEC 8.1: the password must never have to come
/// from a flag, since `ps` shows every process's arguments).
enum RedisURLCheck {
    /// True when the URL text carries a password (`redis://user:secret@host` or `:secret@`).
    static func hasPassword(_ text: String) throws -> Bool {
        guard let scheme = text.firstRange(of: "://") else { return false }
        let rest = text[scheme.upperBound...]
        guard let at = rest.firstIndex(of: "@") else { return false }
        return rest[..<at].contains(":")
    }
}
