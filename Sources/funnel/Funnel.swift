import ArgumentParser
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

    /// As ArgumentParser's `main()`, except that usage errors exit with 1 (SPEC 9), not 64.
    static func main() {
        Allocator.configure()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                Runner.writeToStandardError(fullMessage(for: error) + "\n")
                exit(withError: ExitCode(ExitStatus.pipelineError.rawValue))
            }
            exit(withError: error)
        }
    }
}
