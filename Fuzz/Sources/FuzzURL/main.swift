import FunnelCore
import FunnelTransform
import FuzzSupport

// A URL or request target split into host, path and query; the query percent-decoded into
// parameters, read as a campaign, and the host classified as a referrer channel. The host
// alone (`URLParts.host(of:)`, what referrers keep) must be the whole parse's host, and a
// host lower-cased on its bytes what `String.lowercased()` makes of it.
fuzz { input in
    let parts = URLParts(bytes: input.bindMemory(to: UInt8.self))
    let parameters = QueryParameters(parts.query)
    let campaign = Campaign(parameters)
    _ = Channel.classify(utmSource: campaign?.utmSource, utmMedium: campaign?.utmMedium, clickID: campaign?.clickIDName,
                         referrerHost: parts.host)
    let text = String(decoding: input, as: UTF8.self)
    let parsed = URLParts(text)
    precondition(URLParts.host(of: text) == parsed.host, "host(of:) differs from the whole parse's host")
    precondition(URLParts.lowercasedHost(text) == text.lowercased(), "lowercasedHost differs from lowercased()")
}
