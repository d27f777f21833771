import FunnelCore
import FunnelTransform
import FuzzSupport

// A URL or request target split into host, path and query; the query percent-decoded into
// parameters, read as a campaign, and the host classified as a referrer channel. The host
// alone (`URLParts.host(of:)`, what referrers keep) must be the whole parse's host, and a
// host field lower-cased on its bytes what `String.lowercased()` makes of its name.
fuzz { input in
    let parts = URLParts(bytes: input.bindMemory(to: UInt8.self))
    let parameters = QueryParameters(parts.query)
    let campaign = Campaign(parameters)
    _ = Channel.classify(utmSource: campaign?.utmSource, utmMedium: campaign?.utmMedium, clickID: campaign?.clickIDName,
                         referrerHost: parts.host)
    let text = String(decoding: input, as: UTF8.self)
    let parsed = URLParts(text)
    precondition(URLParts.host(of: text) == parsed.host, "host(of:) differs from the whole parse's host")
    // The host field's name, without its port or root dot (`hostFieldRange`), lower-cased
    // (rv76e: compared with the whole text lower-cased, which every input with a `:` failed).
    var copy = text
    let name = copy.withUTF8 { String(decoding: $0[URLParts.hostFieldRange($0)], as: UTF8.self) }
    precondition(URLParts.lowercasedHost(text) == name.lowercased(), "lowercasedHost differs from lowercased()")
}
