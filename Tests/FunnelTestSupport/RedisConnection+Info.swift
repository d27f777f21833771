import FunnelWriters

extension RedisConnection {
    /// The number after `prefix` on its line of `INFO section` (`total_reads_processed:` of
    /// `stats`, `cmdstat_multi:calls=` of `commandstats`), nil when no line has it (a
    /// command not run since `CONFIG RESETSTAT` has no `cmdstat_` line).
    public func infoNumber(_ section: String, _ prefix: String) throws -> Int? {
        guard case .string(let info) = try command("INFO", section) else { return nil }
        let line = String(decoding: info, as: UTF8.self).split(whereSeparator: \.isNewline).first { $0.hasPrefix(prefix) }
        return line.flatMap { Int($0.dropFirst(prefix.count).prefix { $0.isNumber }) }
    }
}
