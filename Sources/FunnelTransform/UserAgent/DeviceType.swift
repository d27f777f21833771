/// The `device_type` field of SPEC 5: the form factor the agent reports.
///
/// Televisions and game consoles are counted as `desktop` (a big screen, not a handheld);
/// handheld consoles as `mobile`. An iPad that asks for desktop sites sends a Mac agent and is
/// therefore `desktop`, unless an app adds the real model (`FBDV/iPad...`, `(iPad13,4; ...)`).
public enum DeviceType: String, Sendable, CaseIterable {
    case mobile, tablet, desktop
}

extension DeviceType {
    /// The rules in order; the first that matches decides.
    static func detect(in agent: AgentText) -> DeviceType {
        if agent.containsAny(Tokens.handheldConsoles) { return .mobile }
        if agent.containsAny(Tokens.bigScreens) { return .desktop }
        if agent.contains("chromebook") { return .desktop }
        if agent.containsAny(Tokens.tablets) { return .tablet }
        if agent.containsAny(Tokens.phones) { return .mobile }
        if agent.contains("tablet") && !agent.contains("tablet pc") { return .tablet }
        // Android says "Mobile" on phones and leaves it out on tablets (Chrome's own rule).
        if agent.contains("android") { return agent.contains("mobi") ? .mobile : .tablet }
        if agent.containsAny(Tokens.otherMobile) { return .mobile }
        return .desktop
    }

    private enum Tokens {
        static let handheldConsoles: TokenSet = ["playstation vita", "playstation portable", "nintendo 3ds", "nintendo dsi"]
        /// Smart TVs, set-top boxes and consoles, several of which run Android without "Mobile".
        static let bigScreens: TokenSet = [
            "smart-tv", "smarttv", "smart tv", "googletv", "google tv", "android tv", "androidtv", "; tv)", "; tv;",
            "bravia", "crkey", "hbbtv", "netcast", "web0s", "webos.tv", "tizen tv", "appletv", "apple tv", "roku",
            "; aft", "firetv", "fire tv",
            "playstation", "xbox", "nintendo", "viera", "philipstv", "nettv", "opera tv", "large screen", " tv safari",
            "vidaa", "smart_tv", "tvos",
        ]
        /// Tokens only phones send (some also claim to be Android without "Mobile").
        static let phones: TokenSet = [
            "iphone", "ipod", "windows phone", "iemobile", "blackberry", "bb10", "kaios", "symbian", "series60",
            "series40", "opera mini", "midp", "j2me", "palmos", "palmsource", "webos/", "lumia", "wpdesktop",
            "up.browser", "netfront", "openwave", "obigo", "maui", "ucweb",
        ]
        /// Tablets whose browsers may also name a phone platform (Kindle's NetFront) or say "Mobile".
        static let tablets: TokenSet = ["ipad", "kindle", "silk/", "playbook", "; kf", "/apad"]
        static let otherMobile: TokenSet = ["mobi", "phone", "nokia", "fennec", "minimo"]
    }
}
