import FunnelReaders

/// What a file's records depend on besides its bytes: its source's reading settings (format,
/// cookies, country and city variables, dialect, field mapping, the path pattern that names
/// its lines)
/// and the pipeline's identity salt, filters and line limit. The manifest keeps it per file,
/// so that a file read again with other settings is noticed: the history keeps a record by
/// its file and line, and the records the earlier settings gave stay beside (or instead of)
/// the new ones. Site hosts, schema, sessions and sink settings are left out: sessions are
/// rebuilt from the stored records with the settings of each run. The pattern only names the
/// lines, and since 2026-12-05's evening a file read before keeps its names
/// (`Manifest.keptPositions(of:)`): the manifest keeps the settings with it and without it,
/// and compares those without when both readings have them.
enum ReadingSettings {
    /// 16 hex digits of a 64-bit FNV-1a hash over the settings, each ended by a separator.
    /// `pattern`: with the path pattern that matched the file (what the manifest's `settings`
    /// holds; an `--input` file has none), or without (its `line_settings`).
    static func fingerprint(_ pipeline: Pipeline, _ file: InputFile, pattern withPattern: Bool = true) -> String {
        fingerprint(pipeline, file.source, pattern: withPattern ? pattern(of: file) : "", holdsCity: holdsCity(file.source))
    }

    /// What `Manifest.record` compares: the fingerprint, without the pattern, and with each
    /// of the source's patterns.
    static func fingerprints(_ pipeline: Pipeline, _ file: InputFile) -> (whole: String, lines: String, anyPattern: [String]) {
        let source = file.source
        let city = holdsCity(source)
        return (fingerprint(pipeline, source, pattern: pattern(of: file), holdsCity: city), fingerprint(pipeline, source, pattern: "", holdsCity: city),
                source.paths.map { fingerprint(pipeline, source, pattern: $0, holdsCity: city) })
    }

    /// The path pattern that matched the file; an `--input` file has none.
    private static func pattern(of file: InputFile) -> String {
        file.sourceIndex < 999 && file.source.paths.indices.contains(file.patternIndex) ? file.source.paths[file.patternIndex] : ""
    }

    /// Whether the source's access-log format holds its city variable: the format is parsed
    /// once a file, not once a fingerprint (2 and one a pattern).
    private static func holdsCity(_ source: Pipeline.Source) -> Bool {
        guard source.kind == .accessLog, let format = try? AccessLogFormat(source.format) else { return false }
        return format.variables.contains(LogVariable(name: source.writtenCityVariable))
    }

    private static func fingerprint(_ pipeline: Pipeline, _ source: Pipeline.Source, pattern: String, holdsCity: Bool) -> String {
        var parts = [source.kind.rawValue, pattern, source.format, source.visitorCookie ?? "-", source.sessionCookie ?? "-",
                     source.writtenCountryVariable, source.dialect, pipeline.salt, String(pipeline.maxLineLength)]
        // The city variable only when the format holds it (added on 2026-12-05: a file read
        // before by a format without it keeps its fingerprint; one whose format held it read
        // no city then, and is said to be read with other settings now, as its records differ).
        if holdsCity {
            parts.append("city:" + source.writtenCityVariable)
        }
        parts += source.fields.sorted { $0.key < $1.key }.flatMap { [$0.key, $0.value] }
        // Event names only when given (added on 2026-12-06: a file read before keeps its
        // fingerprint).
        if !source.eventNames.isEmpty {
            parts.append("event_names")
            parts += source.eventNames.sorted { $0.key < $1.key }.flatMap { [$0.key, $0.value] }
        }
        parts.append("excluded")
        parts += pipeline.excludedPaths.sorted()
        parts.append("bots")
        parts += pipeline.botPatterns.sorted()
        return hex(of: parts)
    }

    /// 16 hex digits of a 64-bit FNV-1a hash over `parts`, each ended by a separator.
    static func hex(of parts: [String]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for part in parts {
            for byte in part.utf8 + [0x1F] {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01B3
            }
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
