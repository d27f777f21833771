import ArgumentParser
import FunnelPipeline

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write every session the flat-file history holds as one sessions.ndjson.",
        discussion: """
        Nightly runs of a flat-file sink write only the sessions they created or changed (the \
        ndjson and csv sinks list the ids they removed in deleted.ndjson; the resp sink writes \
        a MULTI, DEL, EXEC transaction per removed id into redis.resp). export writes the \
        whole current state, ordered by (created_at, session_id): the same file one run over \
        all loaded days gives.
        """
    )

    @Argument(help: "The pipeline file (YAML).")
    var pipeline: String

    @Option(help: "The sink's output folder holding the history. Default: the pipeline's sink.output.")
    var output: String?

    @Option(help: "Folder to write sessions.ndjson into. Default: <output>/export.")
    var to: String?

    func run() throws {
        do throws(PipelineError) {
            let loaded = try PipelineLoader.load(path: pipeline)
            let folder = output ?? loaded.sink.output
            let count = try Exporter.export(historyFolder: folder, to: to ?? folder + "/export")
            Runner.writeToStandardError("exported \(count) sessions to \(to ?? folder + "/export")/sessions.ndjson\n")
        } catch {
            Runner.writeToStandardError("funnel: \(error.description)\n")
            throw ExitCode(ExitStatus.pipelineError.rawValue)
        }
    }
}
