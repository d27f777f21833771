/// A session's traffic channel (SPEC 5): `source` and `medium`, from UTM parameters, else the
/// click id, else the referrer's host.
public struct Channel: Sendable, Hashable {
    public var source: String
    public var medium: String

    public init(source: String, medium: String) {
        self.source = source
        self.medium = medium
    }

    public static let direct = Channel(source: "direct", medium: "(none)")

    /// Click-id parameter names and the channel each stands for.
    static let clickIDChannels: [(String, Channel)] = [
        ("gclid", Channel(source: "google", medium: "cpc")), ("gbraid", Channel(source: "google", medium: "cpc")),
        ("wbraid", Channel(source: "google", medium: "cpc")), ("msclkid", Channel(source: "bing", medium: "cpc")),
        ("fbclid", Channel(source: "facebook", medium: "social")), ("ttclid", Channel(source: "tiktok", medium: "social")),
        ("twclid", Channel(source: "twitter", medium: "social")), ("li_fat_id", Channel(source: "linkedin", medium: "social")),
    ]

    /// - Parameters:
    ///   - utmSource, utmMedium: the session's UTM fields.
    ///   - clickID: name of the first click-id parameter seen in the session.
    ///   - referrerHost: host of the session's first external referrer (already without the
    ///     site's own hosts).
    public static func classify(utmSource: String?, utmMedium: String?, clickID: String?, referrerHost: String?) -> Channel {
        if let utmSource {
            return Channel(source: utmSource, medium: utmMedium ?? "(not set)")
        }
        if let clickID, let channel = clickIDChannels.first(where: { $0.0 == clickID })?.1 {
            return channel
        }
        if let referrerHost {
            return ReferrerHosts.channel(forHost: referrerHost)
        }
        return .direct
    }
}
