import FunnelReaders
#if canImport(Glibc)
import Glibc
#endif

/// Turns a pipeline's sources (or `--input` paths) and the run's days into the list of files
/// to read, each with the source settings to read it with.
enum InputPlan {
    static func files(pipeline: Pipeline, options: RunOptions) throws(PipelineError) -> (files: [InputFile], missing: [String]) {
        if !options.inputs.isEmpty {
            var files: [InputFile] = []
            for (index, path) in options.inputs.enumerated() {
                if path != "-" && access(path, R_OK) != 0 {
                    throw PipelineError("--input \(path): \(String(cString: strerror(errno)))")
                }
                let kind: Pipeline.Source.Kind
                if let given = options.inputKind { kind = given } else { kind = try sniff(path) }
                let source = pipeline.sources.first { $0.kind == kind } ?? Pipeline.Source(kind: kind, paths: [])
                var file = InputFile(path: path, source: source)
                file.sourceIndex = 999
                file.patternIndex = index
                files.append(file)
            }
            return (files, [])
        }
        var files: [InputFile] = []
        var seen = Set<String>()
        var missing: [String] = []
        let days: [Day?] = options.days.isEmpty ? [nil] : options.days
        for (sourceIndex, source) in pipeline.sources.enumerated() {
            for (patternIndex, pattern) in source.paths.enumerated() {
                let template = PathTemplate(pattern)
                for day in template.hasDate ? days : [nil] {
                    let filled = try template.filled(for: day)
                    let matches = PathTemplate.glob(filled).filter { $0 == "-" || access($0, F_OK) == 0 }
                    if matches.isEmpty { missing.append(filled) }
                    for path in matches where seen.insert(path).inserted {
                        var file = InputFile(path: path, source: source)
                        file.sourceIndex = sourceIndex
                        file.patternIndex = patternIndex
                        file.day = day?.number
                        files.append(file)
                    }
                }
            }
        }
        if files.isEmpty {
            throw PipelineError("no input file matched: \(missing.joined(separator: ", "))")
        }
        return (files, missing)
    }

    /// An `--input` without `--input-kind` is NDJSON when its first non-blank byte is `{`
    /// (after a byte-order mark), an access log otherwise. stdin is peeked the same way, its
    /// bytes handed back to the one stream the run then reads (`InputStream.opening`).
    static func sniff(_ path: String) throws(PipelineError) -> Pipeline.Source.Kind {
        let stream: InputStream
        do {
            stream = try InputStream.opening(path)
        } catch {
            throw PipelineError(error.description)
        }
        // Reads until a byte that is not blank (a pipe may give a few bytes at a time), at most
        // 64 KiB.
        var seen: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 1)
        defer { buffer.deallocate() }
        var index = 0
        while seen.count < 65_536 {
            let count = stream.read(into: buffer)
            if count == 0 { break }
            seen += UnsafeRawBufferPointer(rebasing: buffer[..<count])
            if seen.count < 3 && seen.first == 0xEF { continue }  // a byte-order mark may come in pieces
            if index == 0, seen.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
            while index < seen.count, [0x20, 0x09, 0x0A, 0x0D].contains(seen[index]) { index += 1 }
            if index < seen.count { break }
        }
        if path == "-" { seen.withUnsafeBytes { stream.unread($0) } }
        return index < seen.count && seen[index] == UInt8(ascii: "{") ? .ndjson : .accessLog
    }
}
