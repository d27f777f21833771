import FunnelCore
#if canImport(Glibc)
import Glibc
#endif

/// What a finished child process left behind.
public struct CommandResult: Sendable, CustomStringConvertible {
    /// The exit status; 128 + the signal number when a signal ended the process.
    public var status: Int32
    public var stdout: String
    public var stderr: String
    /// Wall-clock time from start to exit.
    public var seconds: Double
    /// True when the process ran past its time limit and was killed.
    public var timedOut: Bool

    public var description: String {
        "exit \(status)\(timedOut ? " (timed out)" : "") after \(seconds) s\n--- stdout\n\(stdout)--- stderr\n\(stderr)"
    }
}

/// Runs a program to completion, for tests of the command line.
///
/// Started with `posix_spawn` like `RedisServer`'s children, with an empty signal mask and
/// default handlers: Foundation's `Process` would pass on the blocked SIGTERM of Swift
/// Testing's worker threads. Output goes to temporary files rather than pipes, so a chatty
/// child cannot block on a full pipe while the test waits for it.
public enum CommandRunner {
    /// - Parameters:
    ///   - environment: variables set in (or, with a nil value, removed from) the child's
    ///     copy of this process's environment.
    ///   - timeout: the child is killed (SIGKILL) when it runs longer.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String?] = [:], timeout: Duration = .seconds(60)
    ) throws -> CommandResult {
        let folder = TestFiles.temporaryFolder("funnel-command")
        defer { TestFiles.remove(folder) }
        let outPath = folder + "/stdout"
        let errPath = folder + "/stderr"

        var variables = ProcessEnvironment.current()
        for (name, value) in environment { variables[name] = value }

        let clock = ContinuousClock()
        let started = clock.now
        let (pid, spawned) = Spawn.start(executable, arguments, stdout: .truncate(outPath), stderr: .truncate(errPath),
                                         environment: variables.compactMapValues { $0 })
        guard spawned == 0 else {
            throw CommandRunnerError(message: "cannot start \(executable): \(String(cString: strerror(spawned)))")
        }

        var raw: Int32 = 0
        var timedOut = false
        while true {
            let result = waitpid(pid, &raw, WNOHANG)
            if result == pid { break }
            if result == -1 && errno != EINTR {
                throw CommandRunnerError(message: "waitpid failed: \(String(cString: strerror(errno)))")
            }
            if !timedOut && clock.now - started > timeout {
                timedOut = true
                kill(pid, SIGKILL)
            }
            usleep(2_000)
        }
        let signal = raw & 0x7F
        let status = signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
        let elapsed = clock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return CommandResult(
            status: status, stdout: TestFiles.readText(outPath) ?? "", stderr: TestFiles.readText(errPath) ?? "",
            seconds: seconds, timedOut: timedOut)
    }
}

public struct CommandRunnerError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
