/// Something went wrong talking to Redis. `message` is for people: it names the redacted
/// address and what happened. `kind` is for the retry logic.
public struct RedisError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// Refused, reset, closed, unreachable: the server may come back.
        case connection
        /// No reply within the command timeout.
        case timeout
        /// The server answered something hiredis could not parse: not Redis, or a bug.
        case protocolError
        /// The server refused a login or a `SELECT` with this error reply.
        case rejected(String)
        /// Anything else (bad host name, out of memory): retrying will not help.
        case unusable
    }

    public var kind: Kind
    public var message: String
    /// hiredis's or the server's own words, without the address, for summaries.
    public var detail: String

    public init(_ kind: Kind, _ message: String, detail: String? = nil) {
        self.kind = kind
        self.message = message
        if let detail {
            self.detail = detail
        } else if case .rejected(let reply) = kind {
            self.detail = reply
        } else {
            self.detail = message
        }
    }

    /// Whether reconnecting and trying again may succeed.
    public var isTransient: Bool {
        switch kind {
        case .connection, .timeout: true
        case .rejected(let reply): RedisError.isTransientReply(reply)
        case .protocolError, .unusable: false
        }
    }

    /// Error replies that mean "not now" rather than "never": a server loading its dataset,
    /// busy in a script, or a cluster slot in migration.
    public static func isTransientReply(_ reply: String) -> Bool {
        let code = reply.prefix { $0 != " " }
        return code == "LOADING" || code == "BUSY" || code == "TRYAGAIN" || code == "MASTERDOWN" || code == "CLUSTERDOWN"
    }

    /// Throws an error reply that says "not now" (`isTransientReply`) as a `.rejected` error,
    /// `message` its text, for the retries around the call to take; any other reply is left
    /// to the caller, whose refusal it is.
    public static func throwIfTransient(_ reply: String, _ message: @autoclosure () -> String) throws(RedisError) {
        if isTransientReply(reply) { throw RedisError(.rejected(reply), message()) }
    }

    /// What to do about a refusal, by its code, to end a message with (", " and the advice), or
    /// "" for a code without one. The run lock and `inspect` meet a refusal first, and said
    /// Redis's words alone (rv74a: NOAUTH was "Redis refused the run lock"); an `OOM` inside
    /// `EXECABORT` is an `OOM` (it was said as a rejected EXEC).
    public static func remedy(_ reply: String) -> String {
        switch code(of: reply) {
        case "NOAUTH": return "; Redis requires a password: put it in the URL or set \(RedisURL.passwordVariable)"
        case "WRONGPASS": return "; check the URL's user name and the password (the URL's or \(RedisURL.passwordVariable))"
        case "NOPERM": return "; grant the user the commands and keys funnel uses (README.md, the ACL SETUSER line)"
        case "OOM": return "; raise Redis's maxmemory or free memory, then run the same days again"
        case "READONLY": return "; this Redis is a read-only replica (a failover?): give --redis-url the primary, then run the same command again"
        // rv76b: refusals in the middle of a run said Redis's words alone.
        case "MISCONF": return "; Redis cannot save its snapshot and refuses writes until it can: see its log (disk space, its dir's permissions), then run the same command again"
        case "NOREPLICAS": return "; Redis has fewer replicas in step than its min-replicas-to-write: bring them back or lower it, then run the same command again"
        case "ERR" where reply.contains("max number of clients"):
            return "; Redis is at its maxclients: a run holds up to 4 connections at once; raise maxclients, then run the same command again"
        case "ERR" where isUnknownCommand(reply):
            return "; this Redis does not know the command: redis.conf's rename-command renamed or disabled it; give funnel a Redis (or a user) with the commands it uses (README.md, the ACL SETUSER line)"
        default: return ""
        }
    }

    /// A refusal as a message quotes it: its words without their final period, and what to do
    /// about it (`clause`, then `remedy`), as every place that says a refusal has it.
    public static func advised(_ reply: String) -> String {
        clause(reply) + remedy(reply)
    }

    /// A refusal's code, its first word; `OOM` for an `EXECABORT` that an `OOM` caused, the
    /// transaction's real reason.
    public static func code(of reply: String) -> Substring {
        let code = reply.prefix { $0 != " " }
        return code == "EXECABORT" && reply.contains("OOM") ? "OOM" : code
    }

    public var description: String { message }

    /// A server message without its final period, to be embedded in a longer sentence, and
    /// without the arguments an unknown command's refusal quotes (`, with args beginning
    /// with: ...`: rv76b found the run lock's whole release script in a warning).
    public static func clause(_ text: String) -> String {
        var text = Substring(text)
        if let arguments = text.firstRange(of: ", with args beginning with") { text = text[..<arguments.lowerBound] }
        return String(text.hasSuffix(".") ? text.dropLast() : text)
    }

    /// Whether `reply` is Redis's refusal of a command it does not know (`ERR unknown
    /// command 'SCAN', with args beginning with: ...`), one redis.conf's `rename-command`
    /// renamed or disabled.
    public static func isUnknownCommand(_ reply: String) -> Bool {
        // A script's call of one says "ERR Unknown Redis command called from script" (rv77d).
        reply.hasPrefix("ERR unknown command") || reply.hasPrefix("ERR Unknown Redis command")
    }
}
