import ArgumentParser
// Linked for its allocator, not called: importing the module links libjemalloc ahead of libc,
// so every `malloc` of the process (Swift's runtime, SQLite, hiredis, zlib) is jemalloc's.
// A run makes and frees millions of small blocks on three threads; glibc's malloc spent about
// 13% of a run's CPU on them (docs/performance.md, "The evening session of 2026-12-01").
import CJemalloc
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
        subcommands: [RunCommand.self, BackfillCommand.self, ValidateCommand.self, ExportCommand.self]
    )

    /// As ArgumentParser's `main()`, except that usage errors exit with 1 (SPEC 9), not 64.
    static func main() {
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
