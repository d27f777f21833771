import Foundation
import FunnelCore
import FunnelPipeline
import FunnelTransform
import FunnelTestSupport
import Testing

/// A known visitor's Purchase or Consent is kept whatever its agent: a site's server relays
/// them (a payment webhook, a server-side tracker) with its own agent, and until 2026-12-06
/// the bot rule dropped them (a donation lost, a "denied" ignored; a review). The agent is
/// taken off such an event, so it is not the visitor's device; page views, events without a
/// visitor or session id, and an automated browser's, a crawler's or a monitor's outcome (a
/// review of the first rule found a headless browser's test purchase and Googlebot's consent
/// kept) are filtered as before.
struct RelayedOutcomeTests {
    @Test func aRelayedDonationAndConsentCountAndOtherBotEventsDoNot() throws {
        let folder = TestFiles.temporaryFolder("relayed-outcome")
        defer { TestFiles.remove(folder) }
        let iPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
        let stripe = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
        TestFiles.write(folder + "/events.ndjson", """
            {"event":"PageView","timestamp":1704067200000,"anonymous_id":"d1","url":"https://film.example/donate","user_agent":"\(iPhone)"}
            {"event":"Purchase","timestamp":1704067260000,"anonymous_id":"d1","value":25,"user_agent":"\(stripe)"}
            {"event":"Consent","timestamp":1704067200000,"anonymous_id":"d2","analytics":"denied","user_agent":"node-fetch/1.0 (+https://github.com/bitinn/node-fetch)"}
            {"event":"PageView","timestamp":1704067201000,"anonymous_id":"d2","url":"https://film.example/","user_agent":"\(iPhone)"}
            {"event":"Purchase","timestamp":1704067200000,"session_id":"s-d3","value":10,"user_agent":"python-requests/2.31.0"}
            {"event":"PageView","timestamp":1704067200000,"anonymous_id":"d4","url":"https://film.example/","user_agent":"python-requests/2.31.0"}
            {"event":"Purchase","timestamp":1704067200000,"ip":"203.0.113.9","value":40,"user_agent":"python-requests/2.31.0"}
            {"event":"Purchase","timestamp":1704067200000,"anonymous_id":"d5","value":1,"user_agent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36"}
            {"event":"Consent","timestamp":1704067200000,"anonymous_id":"d6","analytics":"granted","user_agent":"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}
            {"event":"Purchase","timestamp":1704067200000,"anonymous_id":"d7","value":3,"user_agent":"UptimeRobot/2.0 (http://www.uptimerobot.com/)"}

            """)
        TestFiles.write(folder + "/pipeline.yaml", "sources:\n  - kind: ndjson\n    paths: [\"events.ndjson\"]\nschema: enhanced\nsink:\n  kind: ndjson\n  output: out/\n")
        let summary = try RunsOverTimeTests.run(folder + "/pipeline.yaml", days: [], sink: .ndjson, output: folder + "/out")
        #expect(summary.exitStatus == .success)
        #expect(summary.kept == 5, "d1's two, d2's two, s-d3's Purchase")
        #expect(summary.conversions == 2)
        #expect(summary.revenue == Amount(jsonNumber: Array("35".utf8)))
        #expect(summary.withheldSessions == 1, "d2 denied analytics")
        let text = try String(contentsOfFile: folder + "/out/sessions.ndjson", encoding: .utf8)
        let sessions = text.split(separator: "\n").map(String.init)
        #expect(sessions.count == 2, "\(text)")
        let donor = try #require(sessions.first { $0.contains(#""donation_amount":25"#) }, "\(text)")
        #expect(donor.contains(#""device_type":"mobile""#) && donor.contains(#""browser":"Safari""#))
        let relayedOnly = try #require(sessions.first { $0.contains(#""session_id":"s-d3""#) }, "\(text)")
        #expect(!relayedOnly.contains("device_type") && !relayedOnly.contains("browser"), "the relay's agent is no device: \(relayedOnly)")
    }

    /// Which bots' agents are a server's relay: libraries, webhooks and cloud task runners
    /// are; automated browsers, crawlers, monitors, scanners and API test tools are not (a
    /// review of the rule: Google Cloud's relays were dropped by a `google` mark, Postman's
    /// test purchase kept).
    @Test(arguments: [
        ("python-requests/2.31.0", true), ("Stripe/1.0 (+https://stripe.com/docs/webhooks)", true), ("Go-http-client/1.1", true),
        ("okhttp/4.9.3", true), ("Google-Cloud-Tasks", true), ("AppEngine-Google; (+http://code.google.com/appengine; appid: s~shop)", true),
        ("PostmanRuntime/7.36.0", false), ("l9explore/1.2.2", false), ("insomnia/8.4.5", false), ("UptimeRobot/2.0", false),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36", false),
        ("Googlebot/2.1 (+http://www.google.com/bot.html)", false), ("facebookexternalhit/1.1", false), ("kube-probe/1.29", false),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", false),
    ] as [(String, Bool)])
    func aServersAgentIsARelay(agent: String, relay: Bool) {
        #expect(UserAgentClassifier().isServerRelay(agent) == relay)
        // An agent no bot rule names (`posthog-python/3.0.1`) is kept anyway: no relay.
        #expect(!UserAgentClassifier().isServerRelay("posthog-python/3.0.1"))
    }
}
