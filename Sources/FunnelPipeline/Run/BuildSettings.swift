import FunnelCore
#if canImport(Glibc)
import Glibc
#endif

/// The pipeline settings that shape the stored sessions from the stored records: the schema,
/// the session cut, the site's hosts (channels), the content slots and the event cap. The
/// history keeps them from the run that last committed, so that a run with others is said.
///
/// A run rebuilds only the visitors it reads; the others' sessions stay as the settings of
/// their runs made them. Until 2026-12-06 a night run with `timeout: 10m` after nights with
/// `30m` exited 0 with a store that no single run makes (SPEC 10), without a word (a
/// review). The reading settings (salt, filters, formats) are kept per file instead
/// (`ReadingSettings`), since a file's records depend on them; the salt is kept here too, as a
/// fingerprint, as it names every visitor the history holds: two output folders loading one
/// Redis under one key prefix do not see each other's manifests, and one with another salt
/// doubled the sessions without a word (rv71a).
enum BuildSettings {
    /// Settings a history stored before it kept them: not compared when the stored text lacks
    /// them (a run after the upgrade is no change).
    static let keptSince20261206: Set<String> = ["identity.salt"]

    /// One `name=value` line per setting, in a fixed order; a host written twice is one (the
    /// loader has them in lower case without a root dot already).
    static func text(_ pipeline: Pipeline) -> String {
        var lines = ["schema=\(pipeline.schema.rawValue)",
                     "sessions.timeout=\(duration(pipeline.sessions.timeoutMillis))",
                     "sessions.max_duration=\(duration(pipeline.sessions.maxDurationMillis))",
                     "site.hosts=\(Set(pipeline.siteHosts).sorted().joined(separator: ","))",
                     "limits.max_events_per_session=\(pipeline.maxEventsPerSession)",
                     // A fingerprint, never the salt (a secret: SecretHygieneTests).
                     "identity.salt=\(ReadingSettings.hex(of: ["identity.salt", pipeline.salt]))"]
        // The MVP schema has no slot fields.
        if pipeline.schema == .enhanced {
            lines.append("content_slots=\(pipeline.slots.map { "\($0.name):\($0.pattern)" }.joined(separator: ","))")
        }
        return lines.joined(separator: "\n")
    }

    /// The settings that differ, each as `name was (now value)`, in `now`'s order; a setting
    /// only one side has is said with `none` on the other.
    static func changes(from stored: String, to now: String) -> [String] {
        func pairs(_ text: String) -> [(String, String)] {
            text.split(separator: "\n").map { line -> (String, String) in
                let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
            }
        }
        let before = Dictionary(pairs(stored), uniquingKeysWith: { first, _ in first })
        var names = pairs(now).map(\.0)
        names += before.keys.filter { !names.contains($0) }.sorted()
        let after = Dictionary(pairs(now), uniquingKeysWith: { first, _ in first })
        return names.compactMap { name in
            let (old, new) = (before[name], after[name])
            guard old != new, old != nil || !keptSince20261206.contains(name) else { return nil }
            // The salt's fingerprints say only that it changed.
            if name == "identity.salt" { return "identity.salt another (now this pipeline's; neither is shown)" }
            func shown(_ value: String?) -> String { value.map { $0.isEmpty ? "empty" : $0 } ?? "none" }
            return "\(name) \(shown(old)) (now \(shown(new)))"
        }
    }

    /// The rebuild note with `reason` added, dated (UTC) and kept to its last five reasons.
    static func noting(_ reason: String, in note: String?, now: Int64 = Int64(time(nil))) -> String {
        let reasons = (note.map { $0.components(separatedBy: "; ") } ?? []) + ["\(Day(number: Int(now / 86_400))): \(reason)"]
        return reasons.suffix(5).joined(separator: "; ")
    }

    /// `30m`, `24h`, `90s`, `1500ms`: the largest unit that divides it.
    static func duration(_ millis: Int64) -> String {
        for (unit, name) in [(Int64(86_400_000), "d"), (3_600_000, "h"), (60_000, "m"), (1000, "s")] where millis % unit == 0 {
            return "\(millis / unit)\(name)"
        }
        return "\(millis)ms"
    }
}
