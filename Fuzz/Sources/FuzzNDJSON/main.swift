import FunnelReaders
import FuzzSupport

// One NDJSON line through every dialect, and through the canonical dialect with a `fields:`
// mapping that follows nested paths (the JSON scanner, string decoding, numbers, timestamps).
let mapping = try! FieldMapping([
    "event": "type", "timestamp": "data.ts", "session_id": "props.sid", "anonymous_id": "ctx.user.id",
    "value": "data.amount", "url": "ctx.page.url", "percent": "data.p", "country": "ctx.geo.cc",
])
let parsers = NDJSONParser.Dialect.allCases.map { NDJSONParser(dialect: $0) } + [NDJSONParser(dialect: .canonical, mapping: mapping)]

fuzz { line in
    for parser in parsers { _ = parser.parse(line) }
}
