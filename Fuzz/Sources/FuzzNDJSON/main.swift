import Foundation
import FunnelCore
import FunnelReaders
import FuzzSupport

// One NDJSON line through every dialect, and through the canonical dialect with a `fields:`
// mapping that follows nested paths (the JSON scanner, string decoding, numbers, timestamps).
// The canonical parser's verdict on whether the line is JSON is checked against Foundation's
// JSONSerialization: a line it reads as an object is never `bad_json` (nor `not_an_object`)
// unless it has a trailing comma, which JSONSerialization lets pass and JSON does not;
// and a line funnel reads as an object is JSON to it, where the two readers are known to
// judge alike (valid UTF-8, no `\u` escapes, whose surrogates they treat apart, no exponents
// or long digit runs, whose range they treat apart, and shallow nesting, which
// JSONSerialization limits).
let mapping = try! FieldMapping([
    "event": "type", "timestamp": "data.ts", "session_id": "props.sid", "anonymous_id": "ctx.user.id",
    "value": "data.amount", "url": "ctx.page.url", "percent": "data.p", "country": "ctx.geo.cc",
])
let parsers = NDJSONParser.Dialect.allCases.map { NDJSONParser(dialect: $0) } + [NDJSONParser(dialect: .canonical, mapping: mapping)]
let canonical = NDJSONParser(dialect: .canonical)

/// Whether a comma comes right before a closing bracket outside strings: JSON has no trailing
/// commas, funnel rejects them (`bad_json`), and JSONSerialization lets them pass.
func hasTrailingComma(_ bytes: UnsafeRawBufferPointer) -> Bool {
    var inString = false
    var escaped = false
    var comma = false
    for byte in bytes {
        if inString {
            if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            continue
        }
        switch byte {
        case UInt8(ascii: "\""): inString = true; comma = false
        case UInt8(ascii: ","): comma = true
        case UInt8(ascii: "}"), UInt8(ascii: "]"): if comma { return true }
        case 0x20, 0x09, 0x0A, 0x0D: break
        default: comma = false
        }
    }
    return false
}

/// Whether both readers are expected to judge `bytes` alike (see above).
func comparable(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard String(validating: bytes, as: UTF8.self) != nil, bytes.count < 4000 else { return false }
    var brackets = 0
    var digitRun = 0
    var previous: UInt8 = 0
    for byte in bytes {
        if byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{") { brackets += 1 }
        if previous == UInt8(ascii: "\\") && byte == UInt8(ascii: "u") { return false }
        if (byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")) && previous &- 0x30 < 10 { return false }
        digitRun = byte &- 0x30 < 10 ? digitRun + 1 : 0
        if digitRun > 15 || brackets > 64 { return false }
        previous = byte == UInt8(ascii: "\\") && previous == UInt8(ascii: "\\") ? 0 : byte
    }
    return true
}

fuzz { line in
    for parser in parsers { _ = parser.parse(line) }
    var body = line
    if body.count >= 3, body[0] == 0xEF, body[1] == 0xBB, body[2] == 0xBF { body = UnsafeRawBufferPointer(rebasing: body[3...]) }
    let object = (try? JSONSerialization.jsonObject(with: Data(body), options: [])) as? [String: Any]
    let funnelSaysNotAnObject: Bool
    switch canonical.parse(line) {
    case .reject(.badJSON, _), .reject(.notAnObject, _): funnelSaysNotAnObject = true
    default: funnelSaysNotAnObject = false
    }
    if object != nil && !hasTrailingComma(body) {
        precondition(!funnelSaysNotAnObject, "JSONSerialization reads an object that funnel calls bad_json or not an object")
    } else if !funnelSaysNotAnObject && comparable(body) {
        preconditionFailure("funnel reads as an object what JSONSerialization does not take for JSON")
    }
}
