import ArgumentParser

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
        subcommands: [RunCommand.self, ValidateCommand.self]
    )
}
