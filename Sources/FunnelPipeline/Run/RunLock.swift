import FunnelWriters
#if canImport(Glibc)
import Glibc
#endif

/// Keeps two runs off the same sink (issue: overlapping cron and backfill runs would interleave
/// their history). A run holds an exclusive `flock` on `funnel.lock` in the output folder for
/// flat-file sinks; for Redis it also holds the key `<prefix>funnel:lock`, whose value names the
/// host and process, so a lock left by a killed run on the same host is taken over.
final class RunLock {
    private var fd: Int32 = -1
    private var redis: (connection: RedisConnection, key: [UInt8], token: [UInt8])?

    init(folder: String) throws(PipelineError) {
        let path = folder + "/funnel.lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PipelineError("cannot open the run lock \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            fd = -1
            throw PipelineError("another funnel run is writing to \(folder) (it holds \(path)); wait for it to finish")
        }
    }

    /// Also takes the Redis lock key. An unreachable Redis is a sink failure (retried like
    /// every Redis fault), and so is one that refuses the lock's commands (NOAUTH, NOPERM,
    /// OOM: exit 3 with Redis's message; until 2026-12-05 a usage error, exit 1, that dropped
    /// it); a lock held by a live run is a `PipelineError`.
    func lockRedis(url: RedisURL, prefix: String, retry: RedisRetryPolicy = .standard, notice: RedisRetryNotice? = nil) throws(PipelineError) -> SinkError? {
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let hostName = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let token = Array("\(hostName) \(getpid())".utf8)
        let key = Array((prefix + "funnel:lock").utf8)
        let connection: RedisConnection
        do {
            connection = try retry.run(url: url, reset: {}, notice: notice) { () throws(RedisError) in try RedisConnection(url: url) }
        } catch {
            return error
        }
        do {
            // 24 h: a lock nobody releases expires even if its host is gone.
            for _ in 0..<2 {
                let taken = try connection.command([Array("SET".utf8), key, token, Array("NX".utf8), Array("EX".utf8), Array("86400".utf8)])
                if case .status = taken {
                    redis = (connection, key, token)
                    return nil
                }
                // Redis refusing the command (NOAUTH, NOPERM, OOM, READONLY) is the sink failing,
                // in Redis's own words: the run's first write would be refused the same way.
                if case .error(let message) = taken { return refused(message) }
                let held = try connection.command([Array("GET".utf8), key])
                if case .error(let message) = held { return refused(message) }
                guard case .string(let holder) = held else { continue }
                let parts = String(decoding: holder, as: UTF8.self).split(separator: " ")
                // A holder on this host whose process is gone died without releasing: take over.
                if parts.count == 2, parts[0] == hostName, let pid = Int32(parts[1]), kill(pid, 0) != 0 && errno == ESRCH {
                    _ = try connection.command([Array("DEL".utf8), key])
                    continue
                }
                throw PipelineError("another funnel run (\(String(decoding: holder, as: UTF8.self))) holds the lock \(prefix)funnel:lock on \(url.redacted); wait for it, or delete that key if the run is gone")
            }
            throw PipelineError("could not take the lock \(prefix)funnel:lock on \(url.redacted)")
        } catch let error as PipelineError {
            throw error
        } catch {
            // The connection failed under the command: a sink failure, like an unreachable Redis.
            return SinkError("cannot take the run lock on \(url.redacted): \(error)")
        }

        func refused(_ message: String) -> SinkError {
            SinkError("Redis refused the run lock \(prefix)funnel:lock on \(url.redacted): \(message)")
        }
    }

    /// Releases both locks (the Redis key only if it is still ours).
    func release() {
        if let (connection, key, token) = redis {
            let script = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
            _ = try? connection.command([Array("EVAL".utf8), Array(script.utf8), Array("1".utf8), key, token])
            redis = nil
        }
        if fd >= 0 {
            flock(fd, LOCK_UN)
            close(fd)
            fd = -1
        }
    }

    deinit { release() }
}
