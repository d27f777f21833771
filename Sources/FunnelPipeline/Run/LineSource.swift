import FunnelCore
import FunnelReaders

/// One input file read line by line and parsed with its source's reader, handing out records,
/// rejects (with file and line) and blank lines.
struct LineSource {
    enum Item {
        case record(Record, line: Int, raw: UnsafeRawBufferPointer)
        case reject(Reject)
        case blank
        case skip(FilterReason)
    }

    struct Damage {
        var message: String
        var tail: [UInt8]
    }

    private enum Parser {
        case accessLog(AccessLogParser)
        case ndjson(NDJSONParser)
    }

    let file: InputFile
    private let parser: Parser
    private(set) var lines = 0
    private(set) var bytes: Int64 = 0
    private(set) var checksum: UInt = 0
    private(set) var openFailed = false

    init(file: InputFile) throws(PipelineError) {
        self.file = file
        switch file.source.kind {
        case .accessLog:
            do {
                var options = AccessLogParser.Options(visitorCookie: file.source.visitorCookie, sessionCookie: file.source.sessionCookie)
                options.countryVariable = file.source.countryVariable
                parser = .accessLog(try AccessLogParser(format: AccessLogFormat(file.source.format), options: options))
            } catch {
                throw PipelineError("\(file.path): \(error)")
            }
        case .ndjson:
            do {
                let mapping = file.source.fields.isEmpty ? nil : try FieldMapping(file.source.fields)
                parser = .ndjson(NDJSONParser(dialect: NDJSONParser.Dialect(rawValue: file.source.dialect) ?? .canonical, mapping: mapping))
            } catch {
                throw PipelineError("\(file.path): \(error)")
            }
        }
    }

    /// Reads the whole file; returns the damage that ended it early, if any.
    mutating func forEachLine(stream maxLineLength: Int, _ body: (Item) -> Void) -> Damage? {
        let stream: InputStream
        do {
            stream = try InputStream(path: file.path)
        } catch {
            openFailed = true
            return Damage(message: error.description, tail: [])
        }
        let reader = LineReader(stream: stream, maxLineLength: maxLineLength)
        let path = file.path
        let parser = self.parser
        let (damage, tail) = reader.forEach { item in
            switch item {
            case .tooLong(let prefix, let number, let length):
                body(.reject(Reject(source: path, line: number, reason: .lineTooLong, raw: prefix,
                                    detail: "\(length) bytes, over the limit of \(maxLineLength)")))
            case .line(var line, let number):
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                    body(.blank)
                    return
                }
                if line.contains(0) {
                    // A crash can leave a hole of NUL bytes where a log's tail was; the server
                    // then appends its next line right behind it. The hole is reported and the
                    // line after it read, so no good line is lost to it.
                    let hole = line.prefix { $0 == 0 }.count
                    guard hole > 0, hole < line.count, !line[hole...].contains(0) else {
                        body(.reject(Reject(source: path, line: number, reason: .nulByte, raw: line, detail: "NUL byte in the line")))
                        return
                    }
                    body(.reject(Reject(source: path, line: number, reason: .nulByte, raw: line,
                                        detail: "\(hole) NUL bytes (a hole a crash left in the file) before the line; the rest of the line was read")))
                    line = UnsafeRawBufferPointer(rebasing: line[hole...])
                }
                switch parser {
                case .accessLog(let parser):
                    switch parser.parse(line) {
                    case .record(let record): body(.record(record, line: number, raw: line))
                    case .reject(let reason, let detail): body(.reject(Reject(source: path, line: number, reason: reason, raw: line, detail: detail)))
                    }
                case .ndjson(let parser):
                    switch parser.parse(line) {
                    case .record(let record): body(.record(record, line: number, raw: line))
                    case .reject(let reason, let detail): body(.reject(Reject(source: path, line: number, reason: reason, raw: line, detail: detail)))
                    case .skip(let reason): body(.skip(reason))
                    }
                }
            }
        }
        lines = reader.lineCount
        bytes = stream.bytesRead
        checksum = stream.checksum
        guard let damage else { return nil }
        return Damage(message: "\(damage.message); \(lines) lines before it were kept", tail: tail)
    }
}
