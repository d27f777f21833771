import FunnelCore
import FunnelWriters

/// The output folder's count of committed runs of each Redis history its runs loaded
/// (`manifest.ndjson.generation`: a line `COUNT<TAB>redis://host:port/db PREFIX` per history),
/// against which a run finds a Redis that lost nights it had loaded (restarted empty, from an
/// older snapshot, flushed); and of its own SQLite history (`COUNT<TAB>sqlite
/// funnel-history.sqlite`), against which it finds one put back from an older copy, emptied or
/// replaced. Moved out of `Runner`, whose static helpers it was (rv70b).
enum CommittedRunsFile {
    /// The file beside a manifest that keeps the count of committed runs of the Redis history
    /// its runs loaded (`RedisHistoryStore.storedGeneration`): `manifest.ndjson.generation`,
    /// a Redis rebuild's `manifest.rebuild.ndjson.generation`.
    static func name(_ manifestFile: String) -> String { manifestFile + ".generation" }

    /// The line of a flat-file sink's history, `funnel-history.sqlite` in the same folder
    /// (since 2026-12-06's night; rv77a).
    static let sqliteIdentity = "sqlite " + SQLiteHistoryStore.fileName

    /// Which Redis history a count is of: the server and database (without credentials) and
    /// the key prefix. Pipelines of other prefixes or databases may share an output folder;
    /// each has its line (rv69h: one count for the folder refused the second pipeline for good).
    static func historyIdentity(_ url: RedisURL, prefix: String) -> String {
        var plain = url
        plain.username = nil
        plain.password = nil
        // A prefix's control bytes and `%` escaped: a line break in it split the line, and
        // no line ever matched (rv69i).
        var escaped: [UInt8] = []
        for byte in prefix.utf8 {
            if Hex.isControl(byte) || byte == UInt8(ascii: "%") { Hex.appendPercentEscape(byte, to: &escaped) } else { escaped.append(byte) }
        }
        return plain.redacted + " " + String(decoding: escaped, as: UTF8.self)
    }

    /// Writes `count` for `identity` into the generation file at `path`, dropping the lines of
    /// every history of the same key prefix and database however its server was spelled
    /// (a rebuild's switch: a line under `localhost` left at a higher count refused the next
    /// run through that spelling; rv69i).
    static func replace(_ count: Int64, of identity: String, to path: String) -> String? {
        func prefixAndDatabase(_ text: Substring) -> (Substring, Substring) {
            let name = text.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            return (name.count > 1 ? name[1] : "", name[0].split(separator: "/").last ?? "")
        }
        let mine = prefixAndDatabase(Substring(identity))
        return write(count, of: identity, to: path, sameHistory: { prefixAndDatabase($0) == mine })
    }

    /// The count a generation file holds for `identity` (a line `COUNT<TAB>IDENTITY`); nil
    /// without one.
    static func read(_ path: String, of identity: String) -> Int64? {
        let lines = PipelineLoader.readText(path)?.split(separator: "\n") ?? []
        for line in lines {
            let parts = line.split(separator: "\t", maxSplits: 1)
            if parts.count == 2, parts[1] == identity { return Int64(parts[0]) }
        }
        return nil
    }

    /// Writes `count` for `identity` into the generation file at `path`, keeping the other
    /// histories' lines (those `sameHistory` does not take for this one's); the failure's
    /// message, or nil.
    static func write(_ count: Int64, of identity: String, to path: String,
                                sameHistory: ((Substring) -> Bool)? = nil) -> String? {
        let others = (PipelineLoader.readText(path)?.split(separator: "\n") ?? []).filter { line in
            let parts = line.split(separator: "\t", maxSplits: 1)
            return parts.count == 2 && !(sameHistory?(parts[1]) ?? (parts[1] == identity))
        }
        do throws(SinkError) {
            try AtomicFile.write((others.map(String.init) + ["\(count)\t\(identity)"]).map { $0 + "\n" }.joined().utf8, to: path)
            return nil
        } catch {
            return error.message
        }
    }
}
