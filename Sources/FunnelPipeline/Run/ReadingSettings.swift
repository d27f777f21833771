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
        let source = file.source
        let pattern = withPattern && file.sourceIndex < 999 && source.paths.indices.contains(file.patternIndex) ? source.paths[file.patternIndex] : ""
        return fingerprint(pipeline, source, pattern: pattern)
    }

    /// What `Manifest.record` compares: the fingerprint, without the pattern, and with each
    /// of the source's patterns.
    static func fingerprints(_ pipeline: Pipeline, _ file: InputFile) -> (whole: String, lines: String, anyPattern: [String]) {
        (fingerprint(pipeline, file), fingerprint(pipeline, file, pattern: false),
         file.source.paths.map { fingerprint(pipeline, file.source, pattern: $0) })
    }

    private static func fingerprint(_ pipeline: Pipeline, _ source: Pipeline.Source, pattern: String) -> String {
        var parts = [source.kind.rawValue, pattern, source.format, source.visitorCookie ?? "-", source.sessionCookie ?? "-",
                     source.countryVariable, source.dialect, pipeline.salt, String(pipeline.maxLineLength)]
        // The city variable only when the format holds it (added on 2026-12-05: a file read
        // before by a format without it keeps its fingerprint; one whose format held it read
        // no city then, and is said to be read with other settings now, as its records differ).
        if source.kind == .accessLog, let format = try? AccessLogFormat(source.format),
           format.variables.contains(LogVariable(name: source.cityVariable)) {
            parts.append("city:" + source.cityVariable)
        }
        parts += source.fields.sorted { $0.key < $1.key }.flatMap { [$0.key, $0.value] }
        parts.append("excluded")
        parts += pipeline.excludedPaths.sorted()
        parts.append("bots")
        parts += pipeline.botPatterns.sorted()
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
