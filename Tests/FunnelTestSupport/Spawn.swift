#if canImport(Glibc)
import Glibc
#endif

/// Starts a child process with `posix_spawn`, a clean signal mask and default handlers, and
/// none of the test process's descriptors beyond the three standard ones.
///
/// Foundation's `Process` passes on the signal mask of the spawning thread, and Swift Testing
/// runs tests on worker threads that block SIGTERM: a child started that way ignores SIGTERM.
/// An inherited pipe end would also keep `swift test` waiting for EOF.
enum Spawn {
    enum Output {
        case truncate(String)
        case append(String)
        /// The same file as standard output.
        case standardOutput
    }

    static func start(_ executable: String, _ arguments: [String], stdout: Output, stderr: Output,
                      environment: [String: String]? = nil) -> (pid: pid_t, error: Int32) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        for (fd, output) in [(Int32(1), stdout), (2, stderr)] {
            switch output {
            case .truncate(let path): posix_spawn_file_actions_addopen(&actions, fd, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            case .append(let path): posix_spawn_file_actions_addopen(&actions, fd, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            case .standardOutput: posix_spawn_file_actions_adddup2(&actions, 1, fd)
            }
        }
        if let dir = opendir("/proc/self/fd") {
            var open: [Int32] = []
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if let fd = Int32(name), fd > 2 { open.append(fd) }
            }
            closedir(dir)
            for fd in open { posix_spawn_file_actions_addclose(&actions, fd) }
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) }
        defer { argv.forEach { free($0) } }
        var cArgv = argv + [nil]
        var pid: pid_t = 0
        let result: Int32
        if let environment {
            let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") }
            defer { envp.forEach { free($0) } }
            var cEnvp = envp + [nil]
            result = posix_spawn(&pid, executable, &actions, &attributes, &cArgv, &cEnvp)
        } else {
            result = posix_spawn(&pid, executable, &actions, &attributes, &cArgv, environ)
        }
        return (pid, result)
    }
}
