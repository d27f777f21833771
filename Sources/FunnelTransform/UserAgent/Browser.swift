/// The `browser` field of SPEC 5, in the SPEC's vocabulary.
///
/// In-app browsers are named after their app; any other browser that names itself in its
/// agent (Yandex, UC, Vivaldi, DuckDuckGo, Internet Explorer, ...) is `other`. A browser whose
/// agent cannot be told from Chrome's, Safari's or Firefox's (Brave, most Chromium builds)
/// counts as that browser.
public enum Browser: String, Sendable, CaseIterable {
    case chrome = "Chrome"
    case safari = "Safari"
    case firefox = "Firefox"
    case edge = "Edge"
    case samsungInternet = "Samsung Internet"
    case opera = "Opera"
    case facebook = "Facebook"
    case instagram = "Instagram"
    case tiktok = "TikTok"
    case androidWebview = "Android Webview"
    case other = "Other"
}

extension Browser {
    /// The rules in order; the first that matches decides. Order matters because every
    /// engine borrows its elders' tokens: Edge, Opera and Samsung agents also say Chrome and
    /// Safari, in-app browsers say everything their engine says, and a browser built on the
    /// Android WebView (Opera, Yandex Lite) still names itself.
    static func detect(in agent: AgentText) -> Browser {
        guard !agent.isEmpty else { return .other }
        if agent.containsAny(Tokens.instagram) { return .instagram }
        if agent.containsAny(Tokens.facebook) { return .facebook }
        if agent.containsAny(Tokens.tiktok) { return .tiktok }
        if agent.containsAny(Tokens.otherBrowsers) { return .other }
        if agent.containsAny(Tokens.edge) { return .edge }
        if agent.containsAny(Tokens.opera) { return .opera }
        if agent.containsAny(Tokens.samsung) { return .samsungInternet }
        // Internet Explorer, after Opera: Opera 6 to 8 sent "compatible; MSIE ..." too.
        if agent.containsAny(Tokens.internetExplorer) { return .other }
        // Any other Android app's embedded browser is named for what it is, whichever app it is.
        if agent.containsAny(Tokens.androidWebview) { return .androidWebview }
        if agent.containsAny(Tokens.otherApps) { return .other }
        if agent.containsAny(Tokens.firefox) { return .firefox }
        if agent.containsAny(Tokens.chrome) {
            // Before Android 5 the WebView said "Version/4.0 Chrome/..." without "; wv"; Chrome never sends Version/.
            return agent.contains("android") && agent.contains("version/") ? .androidWebview : .chrome
        }
        if agent.contains("safari/") {
            // Safari names no browser but itself; elsewhere only Safari for Windows (2007-2012) said "Version/".
            if agent.containsAny(Tokens.applePlatforms) { return .safari }
            if agent.contains("windows") && agent.contains("version/") { return .safari }
        }
        return .other
    }

    private enum Tokens {
        static let instagram: TokenSet = ["instagram"]
        static let facebook: TokenSet = ["fban/", "fbav/", "fb_iab/", "fbios", "fb4a"]
        static let tiktok: TokenSet = ["tiktok", "musical_ly", "bytedancewebview", "trill_", "aweme"]
        /// Browsers outside the SPEC's vocabulary that name themselves, checked before the
        /// Opera, Samsung, Firefox, Chrome and Safari tokens they also carry.
        static let otherBrowsers: TokenSet = [
            // Chromium and WebKit browsers
            "yabrowser", "yasearchbrowser", "yaapp_", "yandex", "ucbrowser", "ucweb", "ucturbo", "ubrowser/",
            "vivaldi", "duckduckgo", "ddg/", "brave", "whale/", "qqbrowser", "miuibrowser", "huaweibrowser",
            "heytapbrowser", "vivobrowser", "oppobrowser", "silk/", "puffin/", "maxthon", "mxbrowser", "coc_coc",
            "coccoc", "avast/", "avg/", "ccleaner", "qihoobrowser", "qhbrowser", "360se", "360ee", "2345explorer",
            "2345browser", "2345chrome", "liebao", "lbbrowser", "metasr", "bidubrowser", "baidubrowser",
            "bdbrowser", "sogoumobilebrowser", "aloha", "phx/", "quark/", "dolphin", "sleipnir", "epiphany",
            "midori", "falkon", "qupzilla", "qtwebengine", "electron/", "konqueror", "chromeplus", "slimjet",
            "iridium", "atlas/", "nokiabrowser", "tizenbrowser", "seraphic", "vewd", "oculusbrowser", "odin/",
            // Gecko forks that also say Firefox
            "seamonkey", "palemoon", "waterfox", "iceweasel", "icecat", "k-meleon", "camino", "sailfishbrowser",
        ]
        static let edge: TokenSet = ["edg/", "edga/", "edgios/", "edge/"]
        static let opera: TokenSet = ["opr/", "opios/", "opera", "opt/", "opx/"]
        static let samsung: TokenSet = ["samsungbrowser"]
        static let internetExplorer: TokenSet = ["msie ", "trident/", "iemobile"]
        static let androidWebview: TokenSet = ["; wv)", "; wv;"]
        /// In-app browsers of apps outside the vocabulary. Reached on iOS and old Android; on
        /// today's Android these apps are WebViews.
        static let otherApps: TokenSet = [
            "gsa/", " line/", "kakaotalk", "naver(inapp", "snapchat", "twitter", "linkedinapp", "pinterest",
            "micromessenger", "baiduboxapp", "alipayclient", "weibo", "dingtalk", "discord/", "ecosia",
        ]
        static let firefox: TokenSet = ["firefox/", "fxios/", "focus/", "klar/", "fennec/"]
        static let chrome: TokenSet = ["chrome/", "crios/", "crmo/", "chromium/"]
        static let applePlatforms: TokenSet = ["macintosh", "iphone", "ipad", "ipod", "mac os x"]
    }
}
