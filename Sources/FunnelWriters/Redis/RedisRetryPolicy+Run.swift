import FunnelCore
#if canImport(Glibc)
import Glibc
#endif

/// Where the Redis sink and history say that an attempt failed and will be retried (the run's
/// standard error); called from whichever thread the failed attempt ran on.
public typealias RedisRetryNotice = (String) -> Void

extension RedisRetryPolicy {
    /// Runs `attempt` until it succeeds, retrying transient faults with backoff; `reset` runs
    /// after every fault (the pipeline is out of step: the caller drops its connection).
    /// Non-transient faults and exhausted retries become a `SinkError` that names the
    /// redacted address and the last error. Before each retry `notice` gets a line saying what
    /// failed and when the next attempt comes: a server that stops answering costs a command
    /// timeout per attempt, minutes in all, and a run must not sit silent through them.
    public func run<T>(url: RedisURL, reset: () -> Void, notice: RedisRetryNotice? = nil,
                       _ attempt: () throws(RedisError) -> T) throws(SinkError) -> T {
        let clock = ContinuousClock()
        let began = clock.now
        var waited = Duration.zero
        // Failures but `LOADING`'s, each an attempt of `maxAttempts`.
        var count = 0
        var loadingAttempts = 0
        var loadingWaited = Duration.zero
        var loadingNoticed = Duration.zero
        while true {
            let failure: RedisError
            do {
                return try attempt()
            } catch {
                failure = error
            }
            reset()
            guard failure.isTransient else {
                if case .rejected(let reply) = failure.kind { throw SinkError(failure.message, redisReply: reply) }
                throw SinkError(failure.message)
            }
            // A server loading its dataset is waited for up to `loadingWait`, its attempts not
            // counted, said once a minute.
            if case .rejected(let reply) = failure.kind, RedisError.code(of: reply) == "LOADING" {
                loadingAttempts += 1
                let delay = delay(afterAttempt: loadingAttempts)
                if loadingWaited + delay > loadingWait {
                    throw SinkError("Redis at \(url) was still loading its dataset after \(Self.tenths(loadingWaited)) s of waiting (LOADING): run the same command again once it has loaded (redis-cli INFO persistence says loading:0)", redisReply: reply)
                }
                if loadingWaited >= loadingNoticed {
                    notice?("Redis at \(url) is loading its dataset (LOADING); waiting for it, up to \(Self.tenths(loadingWait)) s")
                    loadingNoticed = loadingWaited + .seconds(60)
                }
                Self.sleep(delay)
                loadingWaited += delay
                continue
            }
            count += 1
            let delay = delay(afterAttempt: count)
            if count >= maxAttempts || waited + delay > maxTotalWait {
                let seconds = Self.tenths(clock.now - began)
                let state = failure.kind == .connection || failure.kind == .timeout ? "is unreachable" : "kept failing"
                throw SinkError("Redis at \(url) \(state) after \(count) attempts over \(seconds) s: \(failure.detail)")
            }
            notice?("Redis at \(url): \(failure.detail) (attempt \(count) of \(maxAttempts)); trying again in \(Self.tenths(delay)) s")
            Self.sleep(delay)
            waited += delay
        }
    }

    /// `run` over the connection kept in `connection`: made on the first attempt that needs
    /// one, and again after every fault (the old one is dropped: its pipeline is out of step).
    public func run<T>(url: RedisURL, connection: inout RedisConnection?, notice: RedisRetryNotice? = nil,
                       _ attempt: (RedisConnection) throws(RedisError) -> T) throws(SinkError) -> T {
        try run(url: url, reset: { connection = nil }, notice: notice) { () throws(RedisError) -> T in
            let open: RedisConnection
            if let connection { open = connection } else { open = try RedisConnection(url: url) }
            connection = open
            return try attempt(open)
        }
    }

    static func tenths(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let total = Int(seconds) * 10 + Int((Double(attoseconds) / 1e17).rounded())
        return "\(total / 10).\(total % 10)"
    }

    static func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1 && errno == EINTR { request = remaining }
    }
}
