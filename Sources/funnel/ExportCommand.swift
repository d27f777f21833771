import ArgumentParser
import FunnelPipeline

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write every session the flat-file history holds as one file.",
        discussion: """
        Nightly runs of a flat-file sink write only the sessions they created or changed (the \
        ndjson and csv sinks list the ids they removed in deleted.ndjson; the resp sink writes \
        a MULTI, DEL, EXEC transaction per removed id into redis.resp), and each day of a \
        backfill replaces the file. export writes the whole current state, ordered by \
        (created_at, session_id): the same file one run over all loaded days gives, as \
        sessions.ndjson, sessions.csv or redis.resp (--kind; default: the pipeline's sink, \
        ndjson for a redis pipeline), never gzipped.
        """
    )

    @Argument(help: "The pipeline file (YAML).")
    var pipeline: String

    @Option(help: "The sink's output folder holding the history. Default: the pipeline's sink.output.")
    var output: String?

    @Option(help: "Folder to write the file into. Default: <output>/export.")
    var to: String?

    @Option(help: "ndjson, csv or resp. Default: the pipeline's sink kind (ndjson for redis).")
    var kind: String?

    func run() throws {
        do throws(PipelineError) {
            let loaded = try PipelineLoader.load(path: pipeline)
            let folder = output ?? loaded.sink.output
            var chosen = loaded.sink.kind == .redis ? .ndjson : loaded.sink.kind
            if let kind {
                guard let named = Pipeline.SinkKind(rawValue: kind), named != .redis else {
                    throw PipelineError("--kind \(kind): export writes ndjson, csv or resp")
                }
                chosen = named
            }
            let (count, path) = try Exporter.export(historyFolder: folder, to: to ?? folder + "/export", kind: chosen, pipeline: loaded)
            Runner.writeToStandardError("exported \(count) sessions to \(path)\n")
        } catch {
            Runner.writeToStandardError("funnel: \(error.description)\n")
            throw ExitCode(ExitStatus.pipelineError.rawValue)
        }
    }
}
