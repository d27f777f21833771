import ArgumentParser
import FunnelPipeline

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print one session as Redis holds it: its fields and its events.",
        discussion: """
        Reads sess:ID and events:sess:ID (under the pipeline's key_prefix and hash_tags when \
        --pipeline is given) and prints each key's type and expiry, the fields in the schema's order \
        and the events numbered, one JSON text to a line. Only reads. Exit status: 0 when the \
        session exists; 1 when it does not, or for a usage or pipeline error; 3 when Redis \
        cannot be read.
        """
    )

    @Argument(help: "The session id (session_id in the outputs).")
    var sessionID: String

    @Option(help: "A pipeline file whose sink gives the Redis URL, key_prefix and hash_tags.")
    var pipeline: String?

    @Option(help: "redis://[user[:password]@]host:port/db or unix:///path.sock. Default: the pipeline's sink.url, else redis://127.0.0.1:6379/0. Prefer REDIS_PASSWORD for the password.")
    var redisURL: String?

    func run() throws {
        let inspector: SessionInspector
        do {
            inspector = try SessionInspector(pipeline: pipeline.map { try PipelineLoader.load(path: $0) }, redisURL: redisURL)
        } catch let error as PipelineError {
            Runner.writeToStandardError("funnel: \(error.description)\n")
            throw ExitCode(ExitStatus.pipelineError.rawValue)
        }
        let found: SessionInspector.Session?
        do {
            found = try inspector.session(sessionID)
        } catch {
            Runner.writeToStandardError("funnel: \(error.description)\n")
            throw ExitCode(ExitStatus.sinkFailure.rawValue)
        }
        guard let found else {
            Runner.writeToStandardError("funnel: \(inspector.notFound(sessionID))\n")
            throw ExitCode(ExitStatus.pipelineError.rawValue)
        }
        StandardOutput.print(SessionInspector.render(found), terminator: "")
        if StandardOutput.finish() != nil { throw ExitCode(ExitStatus.pipelineError.rawValue) }
    }
}
