#if canImport(Glibc)
import Glibc
#endif

/// Inputs that lie in the output folder. A flat-file rebuild moves the output folder aside
/// whole and removes the one it moved aside before, so logs kept there (or the pipeline file)
/// went with it and, at the next rebuild, were deleted for good; and a path pattern that
/// matches the folder's own files read the sessions, the rejects and the history back as
/// input every night (rv73g). Both are refused, naming the file or folder.
enum InputsInOutput {
    /// Whether `name` is one of the files funnel keeps in an output folder: the outputs, the
    /// history, the lock, the manifest, a backfill's state, and their temporaries.
    static func isFunnels(_ name: String) -> Bool {
        var name = Substring(name)
        // A temporary or pending name is its file's (`NAME.tmp-PID`, `NAME.pending-TOKEN`).
        for mark in [".tmp-", ".pending-"] { if let range = name.range(of: mark) { name = name[..<range.lowerBound] } }
        if name.hasSuffix(".gz") { name = name.dropLast(3) }
        // The outputs by their writers' names (`Runner.outputNames`), the lock, a backfill's files.
        if Runner.outputNames.contains(String(name)) || ["funnel.lock", "backfill.state", "backfill.switched", Backfill.rebuildingMarker].contains(String(name)) {
            return true
        }
        // `rejects-YYYY-MM-DD.ndjson`, the manifest's and the history's own files.
        if name.hasPrefix("rejects-"), name.hasSuffix(".ndjson"), name.count == "rejects-2024-01-01.ndjson".count { return true }
        return name.hasPrefix("manifest.") && name.contains("ndjson") || name.hasPrefix("funnel-history.sqlite")
    }

    /// The first input that is one of funnel's own files in `output`.
    static func ownFile(among files: [InputFile], output: String) -> String? {
        let folder = Manifest.key(output) + "/"
        return files.first { file in
            guard file.path != "-", file.manifestKey.hasPrefix(folder) else { return false }
            let name = file.manifestKey.dropFirst(folder.count)
            return !name.contains("/") && isFunnels(String(name))
        }?.path
    }

    /// What a flat-file rebuild into `output` would move aside with the outputs: the pipeline
    /// file, or the folder a path pattern reads from (the pattern's part before its first
    /// wildcard or `{date`), when it is the output folder or inside it.
    static func movedByARebuild(pipeline: Pipeline, output: String) -> String? {
        guard access(output, F_OK) == 0 else { return nil }
        let folder = Manifest.key(output)
        func inside(_ path: String) -> Bool {
            let real = Manifest.key(path)
            return real == folder || real.hasPrefix(folder + "/")
        }
        if inside(pipeline.file) { return "the pipeline file \(pipeline.file) is" }
        for source in pipeline.sources {
            for pattern in source.paths where pattern != "-" {
                let cut = [pattern.firstIndex { "*?[".contains($0) }, pattern.firstRange(of: "{date")?.lowerBound].compactMap { $0 }.min() ?? pattern.endIndex
                guard let slash = pattern[..<cut].lastIndex(of: "/") else { continue }
                let fixed = PathTemplate.unescaped(String(pattern[..<slash]))
                if !fixed.isEmpty, inside(fixed) { return "the inputs of the path pattern '\(PathTemplate.unescaped(pattern))' are" }
            }
        }
        return nil
    }
}
