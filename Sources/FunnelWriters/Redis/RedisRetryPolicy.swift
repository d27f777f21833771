/// How long the Redis writer keeps trying after a transient fault.
///
/// The default waits 0.1 s, doubling, for up to 8 attempts (12.7 s of waiting): long enough to
/// ride out a restart or a failover, short enough that a wrong address fails a nightly run in
/// seconds rather than hours. Tests shorten it.
public struct RedisRetryPolicy: Sendable, Hashable {
    /// Attempts per batch, the first one included.
    public var maxAttempts: Int
    public var initialDelay: Duration
    /// Cap for a single wait once doubling has grown it.
    public var maxDelay: Duration
    /// Cap for the sum of waits for one batch; the writer gives up rather than exceed it.
    public var maxTotalWait: Duration
    /// How long a server still loading its dataset (`LOADING`) is waited for, apart from the
    /// attempts: a snapshot of gigabytes loads for minutes, and a run started at boot meets it
    /// (rv76b: a 30 s load failed the run after 13 s, the eight attempts spent).
    public var loadingWait: Duration

    public init(
        maxAttempts: Int = 8, initialDelay: Duration = .milliseconds(100), maxDelay: Duration = .seconds(10),
        maxTotalWait: Duration = .seconds(60), loadingWait: Duration = .seconds(600)
    ) {
        self.maxAttempts = maxAttempts
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.maxTotalWait = maxTotalWait
        self.loadingWait = loadingWait
    }

    public static let standard = RedisRetryPolicy()

    /// The wait after the `attempt`-th failure (1-based): initialDelay * 2^(attempt-1), capped.
    public func delay(afterAttempt attempt: Int) -> Duration {
        var delay = initialDelay
        for _ in 1..<max(attempt, 1) {
            delay *= 2
            if delay >= maxDelay { return maxDelay }
        }
        return min(delay, maxDelay)
    }
}
