import FunnelCore

/// The runs a Redis history lists as having written to it without finishing
/// (`RedisHistoryStore`, `funnel:unfinished`), each as the names of the input files it read.
///
/// A Redis history takes a run's writes chunk by chunk, so a run cut short may leave records
/// whose visitors' rows it never wrote. Running its files again rebuilds every visitor of
/// them and so repairs that; until then the history cannot promise that its records are the
/// ones its rows were built with, which leaving out lines read again relies on.
struct UnfinishedRuns: Equatable {
    /// Each run's file names, sorted.
    private(set) var runs: [[String]] = []

    init() {}

    var isEmpty: Bool { runs.isEmpty }

    /// The files' names in positions (`InputFile.positionName`), sorted and distinct: the
    /// same file moved to an archive folder is the same input, as for record positions.
    static func names(of names: [String]) -> [String] {
        Array(Set(names)).sorted()
    }

    /// With a run of `names` (already `names(of:)`) added, unless it is listed.
    func adding(_ names: [String]) -> UnfinishedRuns {
        var copy = self
        if !runs.contains(names) { copy.runs.append(names) }
        return copy
    }

    /// Without the runs whose every file is among `names`: a finished run that read them all
    /// rebuilt every visitor they touched.
    func removing(coveredBy names: [String]) -> UnfinishedRuns {
        let read = Set(names)
        var copy = self
        copy.runs.removeAll { Set($0).isSubset(of: read) }
        return copy
    }

    /// One run a line, its names separated by tabs; a backslash, tab or newline in a name is
    /// written `\\`, `\t` or `\n`.
    func encoded() -> [UInt8] {
        func escaped(_ name: String) -> String {
            var out = ""
            for character in name {
                switch character {
                case "\\": out += "\\\\"
                case "\t": out += "\\t"
                case "\n": out += "\\n"
                default: out.append(character)
                }
            }
            return out
        }
        return Array(runs.map { $0.map(escaped).joined(separator: "\t") }.joined(separator: "\n").utf8)
    }

    /// Reads `encoded()`. (A run of no files is never listed: an empty line, which a damaged
    /// list may hold, reads as a file with an empty name, which no run takes off.)
    init(encoded: [UInt8]) {
        let text = String(decoding: encoded, as: UTF8.self)
        guard !text.isEmpty else { return }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var names: [String] = []
            var current = ""
            var escaping = false
            for character in line {
                if escaping {
                    current.append(character == "t" ? "\t" : character == "n" ? "\n" : character)
                    escaping = false
                } else if character == "\\" {
                    escaping = true
                } else if character == "\t" {
                    names.append(current)
                    current = ""
                } else {
                    current.append(character)
                }
            }
            names.append(current)
            runs.append(names)
        }
    }
}
