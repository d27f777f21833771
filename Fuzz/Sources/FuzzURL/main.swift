import FunnelCore
import FunnelTransform
import FuzzSupport

// A URL or request target split into host, path and query; the query percent-decoded into
// parameters, read as a campaign, and the host classified as a referrer channel.
fuzz { input in
    let parts = URLParts(bytes: input.bindMemory(to: UInt8.self))
    let parameters = QueryParameters(parts.query)
    let campaign = Campaign(parameters)
    _ = Channel.classify(utmSource: campaign?.utmSource, utmMedium: campaign?.utmMedium, clickID: campaign?.clickIDName,
                         referrerHost: parts.host)
    _ = URLParts(String(decoding: input, as: UTF8.self))
}
