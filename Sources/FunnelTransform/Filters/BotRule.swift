/// Tells bots from people by user agent (SPEC 3), before sessionization.
///
/// The evidence (crawler, link-preview, monitor, HTTP-library and headless-browser names, and
/// the word-boundary rules that keep phones such as "CUBOT J9" apart from "Googlebot/2.1")
/// lives in `UserAgent/BotPatterns.swift`; this type is the filter's name for
/// `UserAgentClassifier.isBot`, with the same per-agent cache.
public final class BotRule {
    private let classifier: UserAgentClassifier

    /// `extraPatterns` are the pipeline's own, matched case-insensitively anywhere in the agent.
    public init(extraPatterns: [String] = []) {
        classifier = UserAgentClassifier(extraBotPatterns: extraPatterns)
    }

    /// True when the agent belongs to a bot. An empty or missing agent is not judged a bot:
    /// some privacy tools strip it, and the record still has an IP to identify the visitor.
    public func isBot(_ userAgent: String?) -> Bool {
        classifier.isBot(userAgent)
    }
}
