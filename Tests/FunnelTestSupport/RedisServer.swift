import Foundation
import FunnelWriters
#if canImport(Glibc)
import Glibc
#endif

/// A real, throwaway `redis-server` on a free loopback port, for tests that must see what
/// Redis really does (transactions, errors, restarts) rather than what a mock assumes.
///
/// Nothing is persisted unless a test asks for it (`--appendonly yes` in `arguments`); the
/// working directory is a fresh temporary directory, removed when the server is released.
/// `@unchecked Sendable` so a test can kill or restart it from another thread while a writer
/// is blocked on the main one; the process handle is guarded by a lock.
public final class RedisServer: @unchecked Sendable {
    public let port: Int
    public let directory: URL
    public let arguments: [String]
    /// The `--requirepass` value from `arguments`, used by `connect()` and `dump()`.
    public let password: String?
    private let executable: String
    private let lock = NSLock()
    private var process: ChildProcess?

    /// `redis://127.0.0.1:<port>/0`, without the password.
    public var url: String { "redis://127.0.0.1:\(port)/0" }

    /// Starts a server and waits until it answers. With `port` nil a free port is picked,
    /// and picked again if another process grabs it first.
    public init(arguments: [String] = [], port: Int? = nil, startupTimeout: Duration = .seconds(10)) throws {
        Self.reapedOnce
        executable = try Self.findExecutable()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("funnel-redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.arguments = arguments
        password = arguments.firstIndex(of: "--requirepass").flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
        var attempt = 0
        while true {
            attempt += 1
            let candidate = try port ?? Self.freePort()
            do {
                let started = try Self.launch(
                    executable: executable, port: candidate, directory: directory, arguments: arguments, timeout: startupTimeout)
                self.port = candidate
                process = started
                return
            } catch let error as RedisServerError where error.portInUse && port == nil && attempt < 5 {
                continue
            } catch {
                try? FileManager.default.removeItem(at: directory)
                throw error
            }
        }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Starts the server again on the same port and directory, after `stop()` or `kill()`.
    /// `whileLoading` returns once the server answers `LOADING`, still loading its dataset.
    public func start(timeout: Duration = .seconds(10), whileLoading: Bool = false) throws {
        lock.lock()
        defer { lock.unlock() }
        guard process?.isRunning != true else { return }
        process = try Self.launch(executable: executable, port: port, directory: directory, arguments: arguments, timeout: timeout,
                                  whileLoading: whileLoading)
    }

    /// SIGTERM and wait: a clean shutdown.
    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard let process, process.isRunning else { return }
        process.signal(SIGTERM)
        if !process.wait(timeout: .seconds(10)) {  // a wedged server still must not hang the tests
            process.signal(SIGKILL)
            _ = process.wait(timeout: nil)
        }
    }

    /// SIGKILL and wait: the server dies as in a crash, mid-command.
    public func kill() {
        lock.lock()
        defer { lock.unlock() }
        guard let process, process.isRunning else { return }
        process.signal(SIGKILL)
        _ = process.wait(timeout: nil)
    }

    /// SIGSTOP: the server keeps its port and accepts connections (the kernel does), but
    /// answers nothing, as a server stuck in a long fork or on a dead disk.
    public func pause() {
        lock.lock()
        defer { lock.unlock() }
        process?.signal(SIGSTOP)
    }

    /// SIGCONT after `pause()`.
    public func resume() {
        lock.lock()
        defer { lock.unlock() }
        process?.signal(SIGCONT)
    }

    /// A logged-in connection, for tests that inspect keys themselves.
    public func connect() throws -> RedisConnection {
        try RedisConnection(url: RedisURL(endpoint: .tcp(host: "127.0.0.1", port: port), password: password))
    }

    /// The keys matching a glob `pattern`, by SCAN (unordered).
    public func keys(matching pattern: String) throws -> [String] {
        let connection = try connect()
        var found: [String] = []
        var cursor = "0"
        repeat {
            guard case .array(let parts) = try connection.command("SCAN", cursor, "MATCH", pattern, "COUNT", "1000"), parts.count == 2,
                  case .string(let next) = parts[0], case .array(let items) = parts[1] else { throw RedisServerError("unexpected SCAN reply") }
            cursor = String(decoding: next, as: UTF8.self)
            for case .string(let key) in items { found.append(String(decoding: key, as: UTF8.self)) }
        } while cursor != "0"
        return found
    }

    /// The whole database as canonical text, so golden tests compare Redis contents exactly:
    /// keys sorted by bytes, each as `<key> <type>` (plus ` ttl` when it expires), then one
    /// indented line per item: hash `field=value` sorted by field, list elements in order, zset
    /// `score member` in order, set members sorted, string value. Control bytes and `\` are
    /// escaped so every item stays on one line.
    /// The session keys only (`sess:*`, `events:sess:*`), without funnel's history keys: what
    /// SPEC 10 compares between runs.
    public func dumpSessions() throws -> String {
        try dump(keyPrefixes: ["sess:", "events:sess:"])
    }

    public func dump(keyPrefixes: [String]? = nil) throws -> String {
        let connection = try connect()
        guard case .array(let keyReplies) = try connection.command("KEYS", "*") else {
            throw RedisServerError("KEYS * did not return an array")
        }
        let keys = keyReplies.compactMap { reply -> [UInt8]? in
            if case .string(let bytes) = reply { bytes } else { nil }
        }.filter { key in
            keyPrefixes.map { prefixes in prefixes.contains { key.starts(with: Array($0.utf8)) } } ?? true
        }.sorted { $0.lexicographicallyPrecedes($1) }
        var out = ""
        for key in keys {
            guard case .status(let type) = try connection.command([Array("TYPE".utf8), key]) else {
                throw RedisServerError("TYPE did not return a status")
            }
            var header = Self.escape(key) + " " + type
            if case .integer(let ttl) = try connection.command([Array("PTTL".utf8), key]), ttl >= 0 { header += " ttl" }
            out += header + "\n"
            var items: [String] = []
            switch type {
            case "hash":
                let pairs = try Self.strings(connection.command([Array("HGETALL".utf8), key]))
                var fields: [([UInt8], [UInt8])] = []
                for index in stride(from: 0, to: pairs.count - 1, by: 2) { fields.append((pairs[index], pairs[index + 1])) }
                fields.sort { $0.0.lexicographicallyPrecedes($1.0) }
                items = fields.map { Self.escape($0.0) + "=" + Self.escape($0.1) }
            case "list":
                items = try Self.strings(connection.command([Array("LRANGE".utf8), key, Array("0".utf8), Array("-1".utf8)])).map(Self.escape)
            case "zset":
                let pairs = try Self.strings(
                    connection.command([Array("ZRANGE".utf8), key, Array("0".utf8), Array("-1".utf8), Array("WITHSCORES".utf8)]))
                for index in stride(from: 0, to: pairs.count - 1, by: 2) {
                    items.append(Self.escape(pairs[index + 1]) + " " + Self.escape(pairs[index]))
                }
            case "set":
                items = try Self.strings(connection.command([Array("SMEMBERS".utf8), key]))
                    .sorted { $0.lexicographicallyPrecedes($1) }.map(Self.escape)
            case "string":
                items = try Self.strings(connection.command([Array("GET".utf8), key])).map(Self.escape)
            default:
                items = ["(\(type) not dumped)"]
            }
            for item in items { out += "  " + item + "\n" }
        }
        return out
    }

    // MARK: - Helpers

    private static func strings(_ reply: RedisReply) throws -> [[UInt8]] {
        switch reply {
        case .array(let elements):
            return elements.map { element in
                switch element {
                case .string(let bytes): bytes
                case .integer(let value): Array(String(value).utf8)
                default: Array("\(element)".utf8)
                }
            }
        case .string(let bytes): return [bytes]
        case .error(let message): throw RedisServerError("Redis error while dumping: \(message)")
        default: throw RedisServerError("unexpected reply while dumping: \(reply)")
        }
    }

    private static func escape(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\\") {
                out += Array(#"\\"#.utf8)
            } else if byte < 0x20 || byte == 0x7F {
                out += Array(String(format: "\\x%02X", byte).utf8)
            } else {
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func findExecutable() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = path.split(separator: ":").map { "\($0)/redis-server" } + ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw RedisServerError("redis-server is not on PATH nor in /usr/bin; install it (apt-get install redis-server)")
        }
        return found
    }

    /// A port the kernel just gave out for 127.0.0.1; it may be taken again before Redis binds
    /// it, which `init` handles by retrying.
    private static func freePort() throws -> Int {
        let (fd, port) = try boundLoopbackSocket()
        close(fd)
        return port
    }

    /// A TCP socket bound to a port the kernel picks on 127.0.0.1, not listening.
    fileprivate static func boundLoopbackSocket() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RedisServerError("socket() failed: \(String(cString: strerror(errno)))") }
        var kept = false
        defer { if !kept { close(fd) } }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw RedisServerError("bind(127.0.0.1:0) failed: \(String(cString: strerror(errno)))") }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw RedisServerError("getsockname failed: \(String(cString: strerror(errno)))") }
        kept = true
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    private static func launch(
        executable: String, port: Int, directory: URL, arguments: [String], timeout: Duration, whileLoading: Bool = false
    ) throws -> ChildProcess {
        let logPath = directory.appendingPathComponent("redis-\(port).log").path
        let process = try ChildProcess(
            executable: executable,
            arguments: [
                "--save", "", "--appendonly", "no", "--bind", "127.0.0.1", "--port", String(port),
                "--dir", directory.path, "--daemonize", "no",
            ] + arguments,
            logPath: logPath)
        // Who started it, for `reapOrphans` after a test process that crashed.
        try? "\(getpid()) \(process.pid)\n".write(to: directory.appendingPathComponent(ownerFile), atomically: true, encoding: .utf8)

        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var lastProblem = "no answer yet"
        while clock.now < deadline {
            if !process.isRunning {
                let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                let tail = text.split(separator: "\n").suffix(5).joined(separator: "\n")
                throw RedisServerError(
                    "redis-server on port \(port) exited (\(process.exitDescription)):\n\(tail)",
                    portInUse: text.contains("Address already in use"))
            }
            do {
                let connection = try RedisConnection(
                    url: RedisURL(endpoint: .tcp(host: "127.0.0.1", port: port)), connectTimeout: .milliseconds(500),
                    commandTimeout: .seconds(2))
                switch try connection.command("PING") {
                // This one's, not a parallel test's given the same port a moment before, whose
                // PONG came before this one's "Address already in use" (rv79a).
                case .status("PONG"):
                    guard case .string(let info) = try connection.command("INFO", "server") else { return process }
                    if String(decoding: info, as: UTF8.self).contains("\nprocess_id:\(process.pid)\r\n") { return process }
                    lastProblem = "another redis-server answers on port \(port)"
                case .error(let message) where message.hasPrefix("NOAUTH"): return process
                case .error(let message) where whileLoading && message.hasPrefix("LOADING"): return process
                case let reply: lastProblem = "PING answered \(reply)"
                }
            } catch {
                lastProblem = error.message
            }
            usleep(20_000)
        }
        process.signal(SIGKILL)
        _ = process.wait(timeout: nil)
        throw RedisServerError("redis-server on port \(port) did not answer PING within \(timeout): \(lastProblem)")
    }
}

extension RedisServer {
    /// The file in a server's directory that names the test process that started it and the
    /// server's own pid.
    public static let ownerFile = "owner.pid"

    /// `reapOrphans()` once per test process, at its first server.
    static let reapedOnce: Void = reapOrphans()

    /// Stops the servers a test process that is gone started and could not stop: a server is
    /// stopped only by `stop()` or `deinit`, so a test process that crashed (a failed
    /// precondition) left its servers running for good (rv70a). A server is killed only when
    /// its owner is gone and the process under its pid still works in that directory (a pid
    /// reused is left alone).
    public static func reapOrphans() {
        let temporary = FileManager.default.temporaryDirectory
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: temporary.path) else { return }
        for name in names where name.hasPrefix("funnel-redis-") {
            let directory = temporary.appendingPathComponent(name)
            guard let text = try? String(contentsOf: directory.appendingPathComponent(ownerFile), encoding: .utf8) else { continue }
            let pids = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { pid_t($0) }
            guard pids.count == 2, Glibc.kill(pids[0], 0) != 0, errno == ESRCH else { continue }
            let server = pids[1]
            let cwd = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(server)/cwd")) ?? ""
            if cwd == directory.path || cwd == directory.resolvingSymlinksInPath().path {
                _ = Glibc.kill(server, SIGKILL)
            } else if Glibc.kill(server, 0) == 0 {
                continue  // a pid reused, or a server elsewhere: not ours to touch
            }
            try? FileManager.default.removeItem(at: directory)
        }
    }
}

public struct RedisServerError: Error, CustomStringConvertible {
    public var message: String
    public var portInUse: Bool

    init(_ message: String, portInUse: Bool = false) {
        self.message = message
        self.portInUse = portInUse
    }

    public var description: String { message }
}

/// A child process started with `posix_spawn`, with a clean signal mask and default handlers.
///
/// Foundation's `Process` passes on the signal mask of the spawning thread, and Swift
/// Testing runs tests on dispatch worker threads that block SIGTERM: a `redis-server` started
/// that way ignores `terminate()` and `waitUntilExit()` hangs. Spawning directly fixes both,
/// and closes the test process's descriptors (hiredis sockets) in the child.
final class ChildProcess: @unchecked Sendable {
    let pid: pid_t
    private let lock = NSLock()
    private var status: Int32?

    init(executable: String, arguments: [String], logPath: String) throws {
        let (child, result) = Spawn.start(executable, arguments, stdout: .append(logPath), stderr: .standardOutput)
        guard result == 0 else {
            throw RedisServerError("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        pid = child
    }

    var isRunning: Bool { lock.withLock { reap(blocking: false) == nil } }

    var exitDescription: String {
        guard let status = lock.withLock({ reap(blocking: false) }) else { return "still running" }
        let signal = status & 0x7F
        return signal == 0 ? "status \((status >> 8) & 0xFF)" : "signal \(signal)"
    }

    func signal(_ signal: Int32) {
        if isRunning { _ = Glibc.kill(pid, signal) }
    }

    /// Waits for the exit; false when `timeout` passed first.
    func wait(timeout: Duration?) -> Bool {
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now + $0 }
        while true {
            if !isRunning { return true }
            if let deadline, clock.now >= deadline { return false }
            usleep(5_000)
        }
    }

    /// The raw wait status once the child has exited (reaped exactly once), else nil.
    private func reap(blocking: Bool) -> Int32? {
        if let status { return status }
        var raw: Int32 = 0
        let result = waitpid(pid, &raw, blocking ? 0 : WNOHANG)
        if result == pid {
            status = raw
        } else if result == -1 && errno == ECHILD {
            status = -1  // someone else reaped it; it is gone either way
        }
        return status
    }
}

/// A loopback port where nothing listens, for a test of an unreachable server: held bound
/// (never listening, so a connection is refused) until `release()`, so no other test's
/// `RedisServer` can be given it meanwhile (rv79a: a port freed by a stopped server could be
/// given to a parallel test's server within a failure test's 12.7 s of retries, which then
/// connected).
public final class UnreachablePort: @unchecked Sendable {
    public let port: Int
    private var fd: Int32

    public init() throws {
        (fd, port) = try RedisServer.boundLoopbackSocket()
    }

    /// Frees the port; called at the test's end (`defer`), which also keeps it held until then.
    public func release() {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    deinit { release() }
}
