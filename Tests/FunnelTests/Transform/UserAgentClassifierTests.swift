import FunnelTestSupport
@testable import FunnelTransform
import Testing

/// The user-agent classifier (SPEC 3 bots, SPEC 5 `device_type` and `browser`) against a corpus
/// of real agents, `Tests/FunnelTests/Data/user-agents.tsv`, whose header states the labelling rules.
struct UserAgentClassifierTests {
    struct Case: CustomStringConvertible {
        var line: Int
        var device: DeviceType?
        var browser: Browser?
        var isBot: Bool
        var agent: String
        var description: String { "line \(line): \(agent)" }
    }

    static let corpusPath = FixtureCase.repositoryRoot + "/Tests/FunnelTests/Data/user-agents.tsv"

    /// Android tablets whose browser says "Mobile", as phones' do: the agent alone cannot tell,
    /// only a device database could. Every other line must be classified exactly.
    static let knownDeviceMisses: Set<String> = [
        "Mozilla/5.0 (Linux; Android 10; Acer One 8 T4-82L) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/101.0.4951.61 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 5.1.1; YT3-X50M Build/LMY47V) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/63.0.3239.84 Mobile Safari/537.36",
    ]

    static let corpus: [Case] = {
        guard let text = TestFiles.readText(corpusPath) else { return [] }
        var cases: [Case] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            let columns = line.split(separator: "\t", maxSplits: 3, omittingEmptySubsequences: false)
            precondition(columns.count == 4, "user-agents.tsv line \(index + 1) needs 4 columns")
            cases.append(Case(
                line: index + 1,
                device: DeviceType(rawValue: String(columns[0])),
                browser: Browser(rawValue: String(columns[1])),
                isBot: columns[2] == "true",
                agent: String(columns[3])
            ))
        }
        return cases
    }()

    static var people: [Case] { corpus.filter { !$0.isBot } }
    static var bots: [Case] { corpus.filter(\.isBot) }

    // MARK: - Corpus

    @Test func corpusIsWellFormedAndCoversEveryFamily() {
        #expect(Self.corpus.count >= 300)
        #expect(Self.bots.count >= 80)
        for person in Self.people {
            #expect(person.device != nil && person.browser != nil, "a person needs a device and a browser: \(person)")
        }
        let browsers = Dictionary(grouping: Self.people, by: { $0.browser }).mapValues(\.count)
        for browser in Browser.allCases {
            #expect(browsers[browser, default: 0] >= 5, "few \(browser.rawValue) agents in the corpus")
        }
        let devices = Dictionary(grouping: Self.people, by: { $0.device }).mapValues(\.count)
        for device in DeviceType.allCases {
            #expect(devices[device, default: 0] >= 30, "few \(device.rawValue) agents in the corpus")
        }
        #expect(Set(Self.corpus.map(\.agent)).count == Self.corpus.count, "duplicate agents")
    }

    @Test func everyBotIsDetected() {
        let classifier = UserAgentClassifier()
        for bot in Self.bots {
            #expect(classifier.isBot(bot.agent), "missed bot: \(bot)")
        }
    }

    @Test func noPersonIsTakenForABot() {
        let classifier = UserAgentClassifier()
        for person in Self.people {
            #expect(!classifier.isBot(person.agent), "person taken for a bot: \(person)")
        }
    }

    @Test func deviceTypeOfEveryPerson() {
        let classifier = UserAgentClassifier()
        var misses: Set<String> = []
        for person in Self.people where classifier.classify(person.agent).deviceType != person.device {
            misses.insert(person.agent)
            if !Self.knownDeviceMisses.contains(person.agent) {
                Issue.record("device \(classifier.classify(person.agent).deviceType), expected \(person.device!): \(person)")
            }
        }
        #expect(misses == Self.knownDeviceMisses)
    }

    @Test func browserOfEveryPerson() {
        let classifier = UserAgentClassifier()
        for person in Self.people {
            let browser = classifier.classify(person.agent).browser
            #expect(browser == person.browser, "browser \(browser), expected \(person.browser!): \(person)")
        }
    }

    @Test func measuredAccuracy() {
        let classifier = UserAgentClassifier()
        let people = Self.people, bots = Self.bots
        let results = people.map { classifier.classify($0.agent) }
        let deviceHits = zip(people, results).filter { $0.device == $1.deviceType }.count
        let browserHits = zip(people, results).filter { $0.browser == $1.browser }.count
        let botHits = bots.filter { classifier.isBot($0.agent) }.count
        let falsePositives = results.filter(\.isBot).count
        func percent(_ hits: Int, _ total: Int) -> String {
            let tenths = (hits * 1000 + total / 2) / max(total, 1)
            return "\(tenths / 10).\(tenths % 10)%"
        }
        print("""
            user-agent corpus: \(Self.corpus.count) agents (\(people.count) people, \(bots.count) bots); \
            device \(percent(deviceHits, people.count)) (\(deviceHits)/\(people.count)), \
            browser \(percent(browserHits, people.count)) (\(browserHits)/\(people.count)), \
            bot recall \(percent(botHits, bots.count)) (\(botHits)/\(bots.count)), \
            people taken for bots: \(falsePositives)
            """)
        #expect(falsePositives == 0)
        #expect(botHits == bots.count)
        #expect(deviceHits == people.count - Self.knownDeviceMisses.count)
        #expect(browserHits == people.count)
    }

    // MARK: - Focused rules

    @Test func missingOrEmptyAgentIsADesktopPerson() {
        let classifier = UserAgentClassifier()
        let expected = UserAgentInfo(deviceType: .desktop, browser: .other, isBot: false)
        #expect(classifier.classify(nil) == expected)
        #expect(classifier.classify("") == expected)
        #expect(!classifier.isBot(nil))
        #expect(classifier.cachedAgentCount == 0)
    }

    @Test func resultsAreCachedPerDistinctAgent() {
        let classifier = UserAgentClassifier()
        let agent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1"
        let first = classifier.classify(agent)
        #expect(first == UserAgentInfo(deviceType: .mobile, browser: .safari, isBot: false))
        // An equal string built separately hits the same entry.
        let copy = String(agent.utf8.map { Character(UnicodeScalar($0)) })
        #expect(classifier.classify(copy) == first)
        #expect(classifier.isBot(agent) == false)
        #expect(classifier.cachedAgentCount == 1)
        _ = classifier.classify("curl/7.29.0")
        #expect(classifier.cachedAgentCount == 2)
    }

    /// The classifier remembers the last agent it answered for (the reader asks twice per
    /// line): agents asked in turn, repeated and alternating, get each their own answer.
    @Test func theLastAnswerIsOnlyReusedForTheSameAgent() {
        let shared = UserAgentClassifier(extraBotPatterns: [], cacheLimit: 1)
        let agents = Self.corpus.prefix(40).map(\.agent)
        for agent in agents + agents.reversed() + zip(agents, agents.dropFirst()).flatMap({ [$0, $0, $1] }) {
            #expect(shared.classify(agent) == UserAgentClassifier().classify(agent), "\(agent)")
        }
    }

    /// The reader's transformer shares its filter's classifier, which carries the pipeline's
    /// bot patterns: device and browser do not depend on them.
    @Test func botPatternsDoNotChangeDeviceOrBrowser() {
        let withPatterns = UserAgentClassifier(extraBotPatterns: ["Mozilla", "Chrome", "Safari"])
        let plain = UserAgentClassifier()
        for person in Self.people {
            let a = withPatterns.classify(person.agent), b = plain.classify(person.agent)
            #expect(a.deviceType == b.deviceType && a.browser == b.browser, "\(person)")
        }
    }

    @Test func cacheIsBounded() {
        let classifier = UserAgentClassifier(extraBotPatterns: [], cacheLimit: 3)
        for version in 0..<10 {
            #expect(classifier.isBot("curl/7.\(version).0"))
            // Two generations of at most 3 agents each.
            #expect(classifier.cachedAgentCount <= 6)
        }
        #expect(UserAgentClassifier.defaultCacheLimit >= 10_000)
    }

    @Test func extraPatternsAddBotsCaseInsensitively() {
        let agent = "Mozilla/5.0 (Windows NT 10.0) InternalLoadTester/3.1"
        #expect(!UserAgentClassifier().isBot(agent))
        let classifier = UserAgentClassifier(extraBotPatterns: ["internalloadtester", "AcmeMonitor", ""])
        #expect(classifier.isBot(agent))
        #expect(classifier.isBot("acmemonitor/1.0"))
        // The built-in patterns still apply, browsers still pass, and an empty pattern matches nothing.
        #expect(classifier.isBot("Go-http-client/2.0"))
        #expect(!classifier.isBot("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"))
    }

    @Test(arguments: [
        // Phones and tablets whose model names contain a bot word, and a word that starts with one.
        "Mozilla/5.0 (Linux; Android 10; CUBOT J9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.152 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 6.0; VR BOT 552 PLUS) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/78.0.3904.96 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 6.0; IDbot553 Build/MRA58K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/59.0.3071.125 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 7.1.2; M_bot_tab_71 Build/NHG47K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/58.0.3029.83 Safari/537.36",
        "Mozilla/5.0 (Linux; Android 13; Spider 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Linux; Android 8.0.0; Expanse) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/86.0.4240.99 Mobile Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0; Botswana) Gecko/20100101 Firefox/125.0",
        "Mozilla/5.0 (Linux; Android 10; SM-G975U) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/85.0.4183.127 Mobile Safari/537.36 (Ecosia android@85.0.4183.127)",
    ])
    func botWordsInsidePeoplesAgentsDoNotCount(_ agent: String) {
        #expect(!UserAgentClassifier().isBot(agent))
    }

    @Test(arguments: [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)",
        "TelegramBot (like TwitterBot)",
        "Brightbot 1.0",
        "kube-probe/1.29",
        "ELB-HealthChecker/2.0",
        "Ruby",
        "Go 1.1 package http",
        "Mozilla/5.0 (compatible; Dataprovider.com)",
        "Feedbin feed-id:2005098 - 2 subscribers",
    ])
    func botsAreHeardByNameWordOrContact(_ agent: String) {
        #expect(UserAgentClassifier().isBot(agent))
    }

    @Test func inAppBrowsersWinOverTheEngineTheyEmbed() {
        let classifier = UserAgentClassifier()
        // Instagram and TikTok on Android are WebViews, but named after their app.
        let instagram = classifier.classify("Mozilla/5.0 (Linux; Android 13; SM-A346M Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 Instagram 301.0.0.33.110 Android (33/13; 450dpi; 1080x2130; samsung; SM-A346M; a34x; mt6877; pt_BR; 517900830)")
        #expect(instagram == UserAgentInfo(deviceType: .mobile, browser: .instagram, isBot: false))
        // An iPad in desktop mode says Macintosh, but Facebook's FBDV names the iPad.
        let facebook = classifier.classify("Mozilla/5.0 (iPad; CPU OS 17_5_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/21F90 [FBAN/FBIOS;FBAV/471.0.0.20.112;FBBV/618472162;FBDV/iPad16,3;FBMD/iPad;FBSN/iPadOS;FBSV/17.5.1;FBSS/2;FBID/tablet;FBLC/en_US;FBOP/5;FBRV/618993062]")
        #expect(facebook == UserAgentInfo(deviceType: .tablet, browser: .facebook, isBot: false))
        // Edge and Opera say Chrome too; the Android WebView says Chrome and Version/.
        #expect(classifier.classify("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0").browser == .edge)
        #expect(classifier.classify("Mozilla/5.0 (Linux; Android 4.4.2; LenovoS90C Build/KOT49H) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/30.0.0.0 Mobile Safari/537.36").browser == .androidWebview)
    }

    /// An agent still in bytes gets the string a record would hold and the same answer as
    /// that string, whether its slot has it, another agent took the slot, or its bytes are
    /// not valid UTF-8 (never held as they came): the corpus three times over, in an order
    /// where every agent comes back after the slots filled with others.
    @Test func agentsInBytesAreClassifiedAsTheirStrings() {
        let byString = UserAgentClassifier()
        let byBytes = UserAgentClassifier()
        var agents = Self.corpus.map { Array($0.agent.utf8) }
        // More agents than slots, so that slots are taken over; and edge cases.
        agents += (0..<(UserAgentClassifier.slotCount + 500)).map { Array("Mozilla/5.0 (X11; Linux) Probe/\($0)".utf8) }
        agents += [[], Array("curl/8.0".utf8), [0x4D, 0x6F, 0xFF, 0x7A], [0xC3], Array("Googlebot/2.1 (+http://www.google.com/bot.html)".utf8)]
        for _ in 0..<3 {
            for bytes in agents {
                let (agent, info) = bytes.withUnsafeBufferPointer { byBytes.classify(bytes: $0) }
                let expected = String(decoding: bytes, as: UTF8.self)
                #expect(agent == expected)
                #expect(info == byString.classify(expected), "\(expected)")
                // What the encoder asks next, with the string it was given.
                #expect(byBytes.classify(agent) == info)
            }
        }
    }
}
