import CHiredis
#if canImport(Glibc)
import Glibc
#endif

/// One blocking connection to Redis over hiredis, logged in and on the right database.
///
/// Blocking is deliberate: the writer pipelines a whole batch (`append` many commands, then
/// `readReply` for each), which gets the throughput of an async client without an event
/// loop. Every call that can wait is bounded by the command timeout, so a stuck server turns
/// into an error instead of a hung run. After any connection-level error hiredis's context
/// is unusable; callers drop the connection and open a new one.
public final class RedisConnection {
    public let url: RedisURL
    private let context: UnsafeMutablePointer<redisContext>
    /// Replies still owed for appended commands; `readReply` must not block when it is zero.
    public private(set) var pendingReplies = 0

    /// Connects, sets the command timeout, sends `AUTH` (with the user name when the URL has
    /// one) and `SELECT` when `db != 0`. A refused login or a bad db throws `.rejected`.
    public init(url: RedisURL, connectTimeout: Duration = .seconds(3), commandTimeout: Duration = .seconds(30)) throws(RedisError) {
        self.url = url
        let connected: UnsafeMutablePointer<redisContext>?
        switch url.endpoint {
        case .tcp(let host, let port):
            connected = redisConnectWithTimeout(host, Int32(port), Self.timeval(connectTimeout))
        case .unix(let path):
            connected = redisConnectUnixWithTimeout(path, Self.timeval(connectTimeout))
        }
        guard let connected else {
            throw RedisError(.connection, "Cannot connect to Redis at \(url): out of memory")
        }
        guard connected.pointee.err == 0 else {
            let error = Self.contextError(connected, url: url, action: "Cannot connect to Redis at")
            redisFree(connected)
            throw error
        }
        context = connected
        guard redisSetTimeout(context, Self.timeval(commandTimeout)) == REDIS_OK else {
            throw Self.contextError(context, url: url, action: "Cannot set the command timeout for Redis at")
        }
        if let password = url.password {
            var auth: [[UInt8]] = [Array("AUTH".utf8)]
            if let username = url.username { auth.append(Array(username.utf8)) }
            auth.append(Array(password.utf8))
            if case .error(let message) = try command(auth) {
                let who = url.username.map { "user '\($0)'" } ?? "the default user"
                throw RedisError(
                    .rejected(message),
                    "Redis at \(url) refused the login of \(who): \(RedisError.clause(scrub(message))). Check the user and password in the URL or in \(RedisURL.passwordVariable).")
            }
        }
        if url.db != 0, case .error(let message) = try command([Array("SELECT".utf8), Array(String(url.db).utf8)]) {
            // A database past the server's `databases` setting (16 by default; rv74a); an ACL's
            // refusal or a renamed SELECT as any refusal is (it said Redis's words alone).
            let remedy = message.contains("out of range") ? "; this Redis has fewer databases (its databases setting): name one below it"
                : RedisError.remedy(message)
            throw RedisError(.rejected(message), "Redis at \(url) refused SELECT \(url.db): \(RedisError.clause(scrub(message)))\(remedy)")
        }
    }

    deinit { redisFree(context) }

    /// Bytes queued since the output buffer was last sent.
    private var unsent = 0
    /// Queued bytes past which `append` sends the buffer.
    public static let sendThreshold = 64 * 1024
    /// The last command's RESP bytes, kept to reuse their capacity (see `append`).
    private var formatted: [UInt8] = []

    /// Queues one command (its arguments as raw bytes, binary safe) in the output buffer.
    /// Replies are read only by `readReply`, which is what makes pipelining cheap; but once
    /// `sendThreshold` bytes are queued they are sent, so that the server works on the first
    /// commands of a long pipeline while the caller is still building the rest (sending
    /// nothing before the first `readReply` left server and client waiting for each other in
    /// turn).
    public func append(_ args: [[UInt8]]) throws(RedisError) {
        precondition(!args.isEmpty, "a Redis command needs at least its name")
        // Formatted here, once, into a buffer reused across commands: hiredis's own
        // formatting of an argv cost more than the formatting itself (sds growth per argument).
        formatted.removeAll(keepingCapacity: true)
        RESPCommand.append(args, to: &formatted)
        try appendFormatted(formatted, commands: 1)
    }

    /// Queues `commands` commands already in Redis's wire form (`RESPCommand`), sending
    /// every `sendThreshold` bytes (see `append`) so that the server starts on the first
    /// commands while later ones are queued.
    public func appendFormatted(_ bytes: [UInt8], commands: Int) throws(RedisError) {
        var start = 0
        while start < bytes.count {
            let end = min(start + Self.sendThreshold, bytes.count)
            let status = bytes.withUnsafeBufferPointer { all in
                UnsafeBufferPointer(rebasing: all[start..<end]).withMemoryRebound(to: CChar.self) {
                    redisAppendFormattedCommand(context, $0.baseAddress, $0.count)
                }
            }
            guard status == REDIS_OK else {
                throw Self.contextError(context, url: url, action: "Cannot queue a command for Redis at")
            }
            unsent += end - start
            if unsent >= Self.sendThreshold { try send() }
            start = end
        }
        pendingReplies += commands
    }

    /// Sends everything queued without reading a reply: the caller goes on while the server
    /// works, and reads the replies later with `readReply`.
    public func sendQueued() throws(RedisError) {
        try send()
    }

    /// Writes the whole output buffer, blocking (bounded by the command timeout). The server
    /// queues its replies until `readReply` reads them.
    private func send() throws(RedisError) {
        unsent = 0
        var done: Int32 = 0
        while done == 0 {
            let status = SIGPIPEGuard.run { redisBufferWrite(context, &done) }
            guard status == REDIS_OK else {
                pendingReplies = 0
                throw Self.contextError(context, url: url, action: "Lost the connection to Redis at")
            }
        }
    }

    /// Sends whatever is buffered and reads the next reply. A Redis error reply is returned
    /// as `.error`, not thrown: whether it is fatal depends on the command. Thrown errors are
    /// connection-level (I/O, timeout, closed, protocol) and leave the connection unusable.
    public func readReply() throws(RedisError) -> RedisReply {
        let raw = try nextReply()
        defer { freeReplyObject(raw) }
        return RedisReply(raw)
    }

    /// `readReply`, but nil without decoding when the reply is the status `expected` ("OK",
    /// "QUEUED"): a direct load checks four or five such replies per session, and decoding
    /// each into a `RedisReply` (an array and a string) was a third of its reply handling.
    public func readReply(unlessStatus expected: StaticString) throws(RedisError) -> RedisReply? {
        let raw = try nextReply()
        defer { freeReplyObject(raw) }
        let reply = raw.pointee
        if reply.type == REDIS_REPLY_STATUS, Int(reply.len) == expected.utf8CodeUnitCount, let text = reply.str,
           memcmp(text, expected.utf8Start, expected.utf8CodeUnitCount) == 0 {
            return nil
        }
        return RedisReply(raw)
    }

    /// `readReply`, but nil without decoding when the reply is an array with no error reply
    /// in it: an `EXEC` whose commands all ran.
    public func readReplyUnlessArrayWithoutErrors() throws(RedisError) -> RedisReply? {
        let raw = try nextReply()
        defer { freeReplyObject(raw) }
        let reply = raw.pointee
        if reply.type == REDIS_REPLY_ARRAY,
           !(0..<Int(reply.elements)).contains(where: { reply.element[$0].map { $0.pointee.type == REDIS_REPLY_ERROR } ?? false }) {
            return nil
        }
        return RedisReply(raw)
    }

    /// The next reply as hiredis allocated it; the caller frees it.
    private func nextReply() throws(RedisError) -> UnsafeMutablePointer<redisReply> {
        precondition(pendingReplies > 0, "readReply() without a pending command would block forever")
        var raw: UnsafeMutableRawPointer?
        // A reply already read off the socket needs no I/O, and so no SIGPIPE guard (four
        // system calls): most replies of a pipelined batch arrive in a read of many.
        var status = redisGetReplyFromReader(context, &raw)
        if status == REDIS_OK && raw == nil {
            // redisGetReply sends the whole output buffer, then reads.
            unsent = 0
            status = SIGPIPEGuard.run { redisGetReply(context, &raw) }
        }
        guard status == REDIS_OK, let raw else {
            pendingReplies = 0
            throw Self.contextError(context, url: url, action: "Lost the connection to Redis at")
        }
        pendingReplies -= 1
        return raw.assumingMemoryBound(to: redisReply.self)
    }

    /// One round trip: `append` then `readReply`.
    public func command(_ args: [[UInt8]]) throws(RedisError) -> RedisReply {
        try append(args)
        return try readReply()
    }

    /// `command` for arguments that are plain text.
    public func command(_ args: String...) throws(RedisError) -> RedisReply {
        try command(args.map { Array($0.utf8) })
    }

    private func scrub(_ message: String) -> String { Self.scrub(message, url: url) }

    /// Servers and proxies sometimes echo arguments; a password must never reach a message.
    static func scrub(_ message: String, url: RedisURL) -> String {
        guard let password = url.password, !password.isEmpty else { return message }
        return message.replacing(password, with: "***")
    }

    private static func timeval(_ duration: Duration) -> Glibc.timeval {
        let (seconds, attoseconds) = duration.components
        return Glibc.timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }

    private static func contextError(_ context: UnsafeMutablePointer<redisContext>, url: RedisURL, action: String) -> RedisError {
        let code = context.pointee.err
        var detail = withUnsafeBytes(of: context.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        let kind: RedisError.Kind
        switch code {
        case REDIS_ERR_IO:
            // A blocking read past SO_RCVTIMEO fails with EAGAIN, which strerror words badly.
            if detail == String(cString: strerror(EAGAIN)) || detail == String(cString: strerror(ETIMEDOUT)) {
                detail = "timed out"
                kind = .timeout
            } else {
                kind = .connection
            }
        case REDIS_ERR_EOF: kind = .connection
        case REDIS_ERR_PROTOCOL: kind = .protocolError
        default:
            // Name resolution failures land here; only a temporary one is worth retrying.
            kind = detail.contains("Temporary failure") ? .connection : .unusable
        }
        if detail.isEmpty { detail = "hiredis error \(code)" }
        // hiredis words a socket it could not make with strerror: out of descriptors, the
        // remedy is the limit (rv72a: "Can't create socket: Too many open files").
        if detail.hasSuffix(String(cString: strerror(EMFILE))) || detail.hasSuffix(String(cString: strerror(ENFILE))) {
            detail += " (\(SinkError.outOfDescriptorsHint))"
        }
        return RedisError(kind, "\(action) \(url): \(scrub(detail, url: url))", detail: scrub(detail, url: url))
    }
}

/// hiredis writes with `write(2)`, so a server that died mid-pipeline would raise SIGPIPE and
/// kill the whole run before the retry logic sees EPIPE. The signal is blocked on this thread
/// for the call and a SIGPIPE it caused is consumed, leaving the process's handlers alone.
private enum SIGPIPEGuard {
    static func run<T>(_ body: () -> T) -> T {
        var pipeSet = sigset_t()
        sigemptyset(&pipeSet)
        sigaddset(&pipeSet, SIGPIPE)
        var pendingBefore = sigset_t()
        sigpending(&pendingBefore)
        let wasPending = sigismember(&pendingBefore, SIGPIPE) == 1
        var oldMask = sigset_t()
        pthread_sigmask(SIG_BLOCK, &pipeSet, &oldMask)
        let result = body()
        if !wasPending {
            var pendingAfter = sigset_t()
            sigpending(&pendingAfter)
            if sigismember(&pendingAfter, SIGPIPE) == 1 {
                var zero = timespec(tv_sec: 0, tv_nsec: 0)
                while sigtimedwait(&pipeSet, nil, &zero) == -1 && errno == EINTR {}
            }
        }
        pthread_sigmask(SIG_SETMASK, &oldMask, nil)
        return result
    }
}

/// Decoding hiredis's replies stays beside the connection, the one place that sees hiredis.
extension RedisReply {
    init(_ reply: UnsafeMutablePointer<redisReply>) {
        let r = reply.pointee
        // RESP3 types (hiredis 1.x) by number, so this compiles against 0.14 headers too.
        switch r.type {
        case REDIS_REPLY_STATUS: self = .status(Self.text(r))
        case REDIS_REPLY_ERROR: self = .error(Self.text(r))
        case REDIS_REPLY_INTEGER: self = .integer(Int64(r.integer))
        case REDIS_REPLY_STRING, 7 /* double */, 13 /* bignum */, 14 /* verbatim */: self = .string(Self.bytes(r))
        case 8 /* bool */: self = .integer(Int64(r.integer))
        case REDIS_REPLY_ARRAY, 9 /* map */, 10 /* set */, 12 /* push */:
            var elements: [RedisReply] = []
            elements.reserveCapacity(Int(r.elements))
            for index in 0..<Int(r.elements) {
                elements.append(r.element[index].map(RedisReply.init) ?? .null)
            }
            self = .array(elements)
        default: self = .null
        }
    }

    fileprivate static func bytes(_ r: redisReply) -> [UInt8] {
        guard let str = r.str, r.len > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: str, count: Int(r.len)))
    }

    fileprivate static func text(_ r: redisReply) -> String { String(decoding: bytes(r), as: UTF8.self) }
}
