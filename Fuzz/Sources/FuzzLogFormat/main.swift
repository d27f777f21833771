import FunnelReaders
import FuzzSupport

// The first line is an nginx log_format string, compiled as a pipeline's `format:` is; when it
// compiles, the rest of the input is parsed with it, with and without cookie names.
fuzz { input in
    let (formatBytes, line) = split(input)
    guard let format = try? AccessLogFormat(String(decoding: formatBytes, as: UTF8.self)) else { return }
    _ = format.variables
    for options in [AccessLogParser.Options(), AccessLogParser.Options(visitorCookie: "vid", sessionCookie: "sid")] {
        guard let parser = try? AccessLogParser(format: format, options: options) else { continue }
        _ = parser.parse(line)
    }
}
