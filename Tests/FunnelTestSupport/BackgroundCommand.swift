#if canImport(Glibc)
import Glibc
#endif

/// A program started in the background, for tests that must act while it runs: kill it at a
/// chosen moment (crash-safety tests), or watch what it has written so far.
///
/// Started like `CommandRunner`'s children (`posix_spawn`, clean signal mask, output to
/// temporary files), so SIGKILL and SIGTERM reach it whatever thread the test runs on.
public final class BackgroundCommand {
    public let pid: pid_t
    private let folder: String
    private let started = ContinuousClock.now
    private var rawStatus: Int32?

    public init(_ executable: String, _ arguments: [String], environment: [String: String?] = [:]) throws {
        folder = TestFiles.temporaryFolder("funnel-background")
        var variables: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                variables[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        for (name, value) in environment { variables[name] = value }
        let (child, error) = Spawn.start(executable, arguments, stdout: .truncate(folder + "/stdout"), stderr: .truncate(folder + "/stderr"),
                                         environment: variables.compactMapValues { $0 })
        guard error == 0 else {
            TestFiles.remove(folder)
            throw CommandRunnerError(message: "cannot start \(executable): \(String(cString: strerror(error)))")
        }
        pid = child
    }

    deinit {
        if rawStatus == nil {
            Glibc.kill(pid, SIGKILL)
            var raw: Int32 = 0
            waitpid(pid, &raw, 0)
        }
        TestFiles.remove(folder)
    }

    /// False once the program has exited (it is reaped here, exactly once).
    public var isRunning: Bool {
        if rawStatus != nil { return false }
        var raw: Int32 = 0
        if waitpid(pid, &raw, WNOHANG) == pid {
            rawStatus = raw
            return false
        }
        return true
    }

    public func kill(_ signal: Int32 = SIGKILL) {
        if isRunning { Glibc.kill(pid, signal) }
    }

    /// Waits for the exit (killing the program after `timeout`) and returns what it left.
    public func wait(timeout: Duration = .seconds(60)) -> CommandResult {
        let deadline = ContinuousClock.now + timeout
        var timedOut = false
        while isRunning {
            if !timedOut && ContinuousClock.now > deadline {
                timedOut = true
                Glibc.kill(pid, SIGKILL)
            }
            usleep(1_000)
        }
        let raw = rawStatus ?? 0
        let signal = raw & 0x7F
        let elapsed = ContinuousClock.now - started
        return CommandResult(
            status: signal == 0 ? (raw >> 8) & 0xFF : 128 + signal,
            stdout: TestFiles.readText(folder + "/stdout") ?? "", stderr: TestFiles.readText(folder + "/stderr") ?? "",
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, timedOut: timedOut)
    }
}
