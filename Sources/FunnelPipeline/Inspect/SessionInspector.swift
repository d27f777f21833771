import FunnelCore
import FunnelWriters
#if canImport(Glibc)
import Glibc
#endif

/// One session as Redis holds it, read back for `funnel inspect` (SPEC 9): the hash's fields in
/// the schema's order (docs/fields.md; Redis keeps a hash's order only while it is small, so
/// `HGETALL` alone gave a large session's fields at random), the events in stored order, and
/// each key's type and expiry,
/// so a person checking a donation or a campaign sees exactly what a dashboard reading Redis
/// would see, not a re-derivation of it.
public struct SessionInspector {
    /// One key of the session: its name, its Redis type (`hash`, `list`, `zset`, or `none` when
    /// missing) and its remaining time to live in seconds (nil: no expiry).
    public struct Key: Sendable, Equatable {
        public var name: String
        public var type: String
        public var ttlSeconds: Int64?
    }

    /// What Redis holds for one session id.
    public struct Session: Sendable, Equatable {
        public var id: String
        public var hash: Key
        public var events: Key
        public var fields: [Field]
        /// Each event's stored JSON, in the key's order (a list's, or a sorted set's by score).
        public var eventTexts: [String]
    }

    /// One field of the session's hash.
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String
    }

    public let url: RedisURL
    public let layout: RedisKeyLayout
    /// Field names in output order: the enhanced schema's, whose order holds mvp's, with the
    /// pipeline's content slots. Fields not named (another pipeline's slots) follow by name.
    let fieldOrder: [String: Int]

    public init(url: RedisURL, layout: RedisKeyLayout, slots: [ContentSlot] = ContentSlot.defaults) {
        self.url = url
        self.layout = layout
        let names = FieldLayout(schema: .enhanced, slots: slots.map(\.name)).fieldNames
        fieldOrder = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The Redis a run of `pipeline` loads: `redisURL` when given, else the sink's `url`, else
    /// `redis://127.0.0.1:6379/0`, with the password from `REDIS_PASSWORD` when the URL has
    /// none (as `funnel run`); the keys under the sink's `key_prefix` and `hash_tags`.
    public init(pipeline: Pipeline?, redisURL: String?, environment: [String: String] = ProcessEnvironment.current()) throws(PipelineError) {
        let sink = pipeline?.sink ?? Pipeline.Sink()
        self.init(url: try Runner.redisURL(sink, override: redisURL, file: pipeline?.file, environment: environment),
                  layout: sink.keyLayout, slots: pipeline?.slots ?? ContentSlot.defaults)
    }

    /// What to say when `session` found nothing.
    public func notFound(_ id: String) -> String {
        "no session \(id) in Redis at \(url): neither \(layout.sessionKey(id)) nor \(layout.eventsKey(id)) exists"
    }

    /// The session's keys as Redis holds them now; nil when neither key exists. Reads only
    /// (`TYPE`, `TTL`, `HGETALL`, `LRANGE`/`ZRANGE`), in one attempt: an interactive look-up
    /// reports a fault at once rather than retrying for minutes as a nightly load does.
    public func session(_ id: String) throws(SinkError) -> Session? {
        do throws(RedisError) {
            let connection = try RedisConnection(url: url)
            let hash = try key(layout.sessionKey(id), connection)
            let events = try key(layout.eventsKey(id), connection)
            guard hash.type != "none" || events.type != "none" else { return nil }
            var fields: [Field] = []
            if hash.type == "hash" {
                let items = try strings(connection.command("HGETALL", hash.name), hash.name)
                var index = 0
                while index + 1 < items.count {
                    fields.append(Field(name: items[index], value: items[index + 1]))
                    index += 2
                }
                fields.sort { a, b in
                    let (left, right) = (fieldOrder[a.name] ?? Int.max, fieldOrder[b.name] ?? Int.max)
                    return left != right ? left < right : a.name < b.name
                }
            }
            var eventTexts: [String] = []
            switch events.type {
            case "list": eventTexts = try strings(connection.command("LRANGE", events.name, "0", "-1"), events.name)
            case "zset": eventTexts = try strings(connection.command("ZRANGE", events.name, "0", "-1"), events.name)
            default: break
            }
            return Session(id: id, hash: hash, events: events, fields: fields, eventTexts: eventTexts)
        } catch {
            throw SinkError("cannot read session \(id) from Redis at \(url): \(error.detail)")
        }
    }

    private func key(_ name: String, _ connection: RedisConnection) throws(RedisError) -> Key {
        let type: String
        switch try connection.command("TYPE", name) {
        case .status(let text): type = text
        case .error(let text): throw RedisError(.unusable, "TYPE \(name): \(refusal(text))")
        default: type = "none"
        }
        var ttl: Int64?
        if type != "none", case .integer(let seconds) = try connection.command("TTL", name), seconds >= 0 { ttl = seconds }
        return Key(name: name, type: type, ttlSeconds: ttl)
    }

    /// Redis's refusal with what to do. `inspect` reads with other commands and keys than a
    /// run: its user is operations.md's read-only one, its key patterns under the pipeline's
    /// prefix (rv74d: the run's ACL line, named, grants no `TYPE`; rv74e: the documented
    /// patterns are without a prefix, and HGETALL's refusal said nothing).
    private func refusal(_ text: String) -> String {
        guard text.hasPrefix("NOPERM") else { return RedisError.advised(text) }
        let patterns = "~\(layout.sessionKey("*")) ~\(layout.eventsKey("*"))"
        return RedisError.clause(text) + "; give the user the read-only commands of docs/operations.md, \"Looking at one session\" (+type +ttl +hgetall +lrange +zrange), and the keys \(patterns)"
    }

    private func strings(_ reply: RedisReply, _ key: String) throws(RedisError) -> [String] {
        switch reply {
        case .array(let items): return items.map { $0.text ?? "" }
        case .error(let text): throw RedisError(.unusable, "reading \(key): \(refusal(text))")
        default: return []
        }
    }

    /// The session for people: each key with its type, size and expiry, then the fields one
    /// to a line (names aligned; a time also in UTC) and the events numbered, one JSON text to
    /// a line, exactly as stored.
    public static func render(_ session: Session) -> String {
        var out = "session \(session.id)\n"
        out += "\(session.hash.name) (\(describe(session.hash, count: session.fields.count, noun: "field")))\n"
        let width = session.fields.map(\.name.count).max() ?? 0
        for field in session.fields {
            out += "  " + field.name + String(repeating: " ", count: width - field.name.count + 2) + fieldText(field.value)
            if timeFields.contains(field.name), let millis = Int64(field.value) { out += "  (" + utc(millis) + ")" }
            out += "\n"
        }
        out += "\(session.events.name) (\(describe(session.events, count: session.eventTexts.count, noun: "event")))\n"
        let digits = String(session.eventTexts.count).count
        for (index, text) in session.eventTexts.enumerated() {
            let number = String(index + 1)
            out += "  " + String(repeating: " ", count: digits - number.count) + number + "  " + printable(text) + "\n"
        }
        // One key of the two alone: said, not only shown as missing (rv73e).
        if (session.hash.type == "none") != (session.events.type == "none") {
            let (gone, left) = session.hash.type == "none" ? (session.hash.name, session.events.name) : (session.events.name, session.hash.name)
            out += "half a session: \(gone) is gone and \(left) is not (deleted, evicted or expired apart); a funnel backfill --rebuild of its days writes it whole again (docs/operations.md, \"Redis memory\")\n"
        }
        return out
    }

    /// A value on one line (`TerminalText.oneLine`): a value holding a line break cannot
    /// pass for the next field, nor one holding a terminal's control sequence act on it.
    static func printable(_ value: String) -> String { TerminalText.oneLine(value) }

    /// A field's value on its line: `printable`, with a backslash written `\\`, so that a
    /// value holding the text `\n` is not shown as one holding a line break (rv75b: `X\nY`
    /// and `X` + LF + `Y` printed alike). Events are JSON texts, whose backslashes are
    /// escapes already.
    static func fieldText(_ value: String) -> String {
        printable(value.contains("\\") ? value.split(separator: "\\", omittingEmptySubsequences: false).joined(separator: "\\\\") : value)
    }

    private static func describe(_ key: Key, count: Int, noun: String) -> String {
        guard key.type != "none" else { return "missing" }
        let expiry = key.ttlSeconds.map { "expires in \(duration($0))" } ?? "no expiry"
        return "\(key.type), \(count) \(noun)\(count == 1 ? "" : "s"), \(expiry)"
    }

    /// The fields that hold a time (epoch milliseconds, docs/fields.md), shown also as UTC.
    static let timeFields: Set<String> = ["created_at", "session_end", "first_touch_timestamp", "last_touch_timestamp"]

    /// `2024-01-10 18:00:00.000 UTC` for epoch milliseconds.
    static func utc(_ millis: Int64) -> String {
        var seconds = time_t(millis >= 0 ? millis / 1000 : (millis - 999) / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let fraction = Int(((millis % 1000) + 1000) % 1000)
        let milli = fraction < 10 ? "00\(fraction)" : fraction < 100 ? "0\(fraction)" : "\(fraction)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(milli) UTC"
    }

    /// `90d 0h`, `3h 5m`, `42s`: the two largest units of a TTL.
    static func duration(_ seconds: Int64) -> String {
        let days = seconds / 86_400, hours = seconds % 86_400 / 3_600, minutes = seconds % 3_600 / 60
        if days > 0 { return "\(days)d \(hours)h" }
        if hours > 0 { return "\(hours)h \(minutes)m" }
        if minutes > 0 { return "\(minutes)m \(seconds % 60)s" }
        return "\(seconds)s"
    }
}
