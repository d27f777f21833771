import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import FunnelPipeline

@main
struct Funnel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "funnel",
        abstract: "Turns web access logs and client event dumps into attributed sessions.",
        discussion: """
        funnel reads gzipped or plain access logs and NDJSON event dumps, rebuilds visitor \
        sessions from event time, derives marketing attribution and writes one record per \
        session to Redis or to flat files. See docs/pipeline.md for the pipeline file.
        """,
        subcommands: [RunCommand.self, BackfillCommand.self, ValidateCommand.self, ExportCommand.self, InspectCommand.self]
    )

    /// As ArgumentParser's `main()`, except that usage errors exit with 1 (SPEC 9), not 64,
    /// and one a subcommand finds after parsing shows that subcommand's usage (the root's
    /// `funnel <subcommand>` was shown until 2026-12-05; a review).
    static func main() {
        openMissingStandardDescriptors()
        Runner.countInheritedDescriptors()
        Allocator.configure()
        if let word = dashedWord(CommandLine.arguments.dropFirst()) {
            Runner.writeToStandardError("Error: '\(word)' begins with '-', so it is read as options (funnel has no short one but -h); a path that begins with '-' is written ./\(word), an option's value as --option=\(word), or either after '--'\n")
            exit(withError: ExitCode(ExitStatus.pipelineError.rawValue))
        }
        var parsed: ParsableCommand.Type = Funnel.self
        do {
            var command = try parseAsRoot()
            parsed = type(of: command)
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                var text = fullMessage(for: error)
                if parsed != Funnel.self, let name = parsed.configuration.commandName {
                    text = "Error: \(message(for: error))\nUsage: \(usageString(for: parsed))\n  See 'funnel \(name) --help' for more information."
                }
                Runner.writeToStandardError(text + "\n")
                exit(withError: ExitCode(ExitStatus.pipelineError.rawValue))
            }
            exit(withError: error)
        }
    }

    /// The first argument before `--` that ArgumentParser would take for short options though
    /// funnel has none but `-h`: a path or a value beginning with `-` (rv75d: `funnel run
    /// -dash/pipeline.yaml` was read as `-d -a -s -h ...`, printed the help and exited 0, so
    /// a cron line with such a path passed; `--output -out` said its value was missing).
    /// `-` alone is standard input.
    static func dashedWord(_ arguments: ArraySlice<String>) -> String? {
        for argument in arguments {
            if argument == "--" { return nil }
            if argument.hasPrefix("-"), !argument.hasPrefix("--"), argument != "-", argument != "-h" { return argument }
        }
        return nil
    }

    /// `funnel` without a subcommand is a usage error (SPEC 9: exit 1), shown with the help;
    /// `funnel --help` and `funnel help` exit 0.
    func run() throws {
        Runner.writeToStandardError(Self.helpMessage() + "\n")
        throw ExitCode(ExitStatus.pipelineError.rawValue)
    }

    /// A standard descriptor the process was started without (`2>&-`) would be the first file
    /// it opens, and the summary would be written into it (the run lock, or an output): each
    /// missing one is `/dev/null` instead (since 2026-12-06; a review).
    private static func openMissingStandardDescriptors() {
        for fd: Int32 in 0...2 where fcntl(fd, F_GETFD) == -1 {
            let opened = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY)
            if opened >= 0 && opened != fd {
                dup2(opened, fd)
                close(opened)
            }
        }
    }
}
