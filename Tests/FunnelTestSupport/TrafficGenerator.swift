import Crypto

/// Generated traffic with known sessions: the ground truth that the generated-traffic test
/// compares funnel's output against, session for session.
///
/// Visitors come in four kinds: access-log visitors with a visitor cookie, cookieless ones
/// (known by fingerprint), client-only visitors (NDJSON, with or without a client session
/// id), and visitors seen in both (log lines with visitor and session cookies plus client
/// events, each client PageView 1-3 s after its log line, so the two merge). Gaps inside a
/// session are at most 25 minutes, between sessions at least 40, so the truth is unambiguous.
/// Bots and static assets are mixed in and must be dropped. Everything is deterministic.
public struct TrafficGenerator {
    public struct ExpectedSession: Hashable, Sendable {
        public var id: String
        public var createdAt: Int64
        public var events: Int
        public var landingPage: String?
        public var donationAmount: String?
        public var utmSource: String?

        public init(id: String, createdAt: Int64, events: Int, landingPage: String?, donationAmount: String?, utmSource: String?) {
            self.id = id
            self.createdAt = createdAt
            self.events = events
            self.landingPage = landingPage
            self.donationAmount = donationAmount
            self.utmSource = utmSource
        }
    }

    public struct Output {
        /// Lines of the two web servers' logs, each shuffled.
        public var web1: [String] = []
        public var web2: [String] = []
        /// NDJSON event lines, shuffled.
        public var events: [String] = []
        public var expected: [ExpectedSession] = []
        public var visitors = 0

        /// The lines split into daily files by their own timestamp, as nightly log rotation
        /// would: date (`YYYY-MM-DD`) -> (web1, web2, events).
        public func byDay() -> [String: (web1: [String], web2: [String], events: [String])] {
            var days: [String: (web1: [String], web2: [String], events: [String])] = [:]
            for line in web1 { days[Self.logDate(line), default: ([], [], [])].web1.append(line) }
            for line in web2 { days[Self.logDate(line), default: ([], [], [])].web2.append(line) }
            for line in events { days[Self.eventDate(line), default: ([], [], [])].events.append(line) }
            return days
        }

        /// Writes the day as `web1.log.gz`, `web2.log.gz` and `events.ndjson.gz` in `folder`.
        public func writeFiles(to folder: String) {
            TestFiles.gzip(web1.joined(separator: "\n") + "\n", to: folder + "/web1.log.gz")
            TestFiles.gzip(web2.joined(separator: "\n") + "\n", to: folder + "/web2.log.gz")
            TestFiles.gzip(events.joined(separator: "\n") + "\n", to: folder + "/events.ndjson.gz")
        }

        static func logDate(_ line: String) -> String {
            // [01/Mar/2024:13:05:09 +0000]
            let stamp = line[line.index(after: line.firstIndex(of: "[")!)...].prefix(11)
            let parts = stamp.split(separator: "/")
            let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
            let month = months.firstIndex(of: String(parts[1]))! + 1
            return "\(parts[2])-\(month < 10 ? "0" : "")\(month)-\(parts[0])"
        }

        static func eventDate(_ line: String) -> String {
            let after = line.split(separator: "\"timestamp\":", maxSplits: 1)[1]
            let millis = Int64(after.prefix { $0.isNumber })!
            let stamp = TrafficGenerator.timeLocal(millis)
            return logDate("[" + stamp + "]")
        }
    }

    /// A pipeline file reading generated logs and events from the given paths.
    public func pipelineFile(logPaths: [String], eventPaths: [String], schema: String = "mvp") -> String {
        func list(_ paths: [String]) -> String { "[" + paths.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
        return """
        sources:
          - kind: access_log
            format: '\(Self.logFormat)'
            visitor_cookie: vid
            session_cookie: sid
            paths: \(list(logPaths))
          - kind: ndjson
            paths: \(list(eventPaths))
        identity:
          salt: "\(salt)"
        site:
          hosts: [film.example]
        schema: \(schema)
        sink:
          kind: ndjson
          output: out
        """
    }

    public static let logFormat = #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$cookie_vid" "$cookie_sid""#

    private var random: SplitMix64
    public let salt: String
    private let dayStart: Int64 = 1_709_251_200_000  // 2024-03-01T00:00:00Z

    /// Seconds over which visitors' first visits are spread; more than a day gives traffic
    /// over several days, with sessions across midnight and visitors returning on later days.
    public var spreadSeconds: UInt64 = 40_000

    public init(seed: UInt64, salt: String = "generator-salt") {
        random = SplitMix64(seed: seed)
        self.salt = salt
    }

    private static let pages = ["/", "/watch", "/about", "/cast", "/press", "/donate", "/faq", "/screenings"]
    private static let browsers = [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
        "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    ]
    private static let bots = [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "curl/8.5.0",
    ]
    private static let sources = [("facebook", "paid_social"), ("google", "cpc"), ("newsletter", "email"), ("reddit", "social")]

    /// Generates `count` visitors into `folder` (`Output.writeFiles`) with a `pipeline.yaml`
    /// that reads them, the second server's log listed first.
    public mutating func writeDay(visitors count: Int, to folder: String) -> Output {
        let traffic = generate(visitors: count)
        traffic.writeFiles(to: folder)
        TestFiles.write(folder + "/pipeline.yaml", pipelineFile(logPaths: ["web2.log.gz", "web1.log.gz"], eventPaths: ["events.ndjson.gz"]))
        return traffic
    }

    public mutating func generate(visitors count: Int) -> Output {
        var output = Output()
        output.visitors = count
        for visitor in 0..<count {
            generateVisitor(visitor, into: &output)
        }
        // Bots and static assets that must all be dropped.
        for index in 0..<(count / 4) {
            let t = dayStart + Int64(random.next(upTo: max(spreadSeconds, 86_000))) * 1000
            output.web1.append(logLine(ip: "66.249.\(index % 250).\(index % 200 + 1)", time: t, path: Self.pages[index % Self.pages.count],
                                       query: nil, agent: Self.bots[index % Self.bots.count], vid: nil, sid: nil))
            output.web2.append(logLine(ip: "198.18.\(index % 250).\(index % 200 + 1)", time: t, path: "/static/app-\(index).js",
                                       query: nil, agent: Self.browsers[index % Self.browsers.count], vid: nil, sid: nil))
        }
        random.shuffle(&output.web1)
        random.shuffle(&output.web2)
        random.shuffle(&output.events)
        return output
    }

    private mutating func generateVisitor(_ index: Int, into output: inout Output) {
        let kind = index % 4
        let agent = Self.browsers[Int(random.next(upTo: UInt64(Self.browsers.count)))]
        // Unique per visitor, so fingerprints never collide.
        let ip = "10.\(index / 65536 % 256).\(index / 256 % 256).\(index % 256)"
        let vid = "v\(index)"
        let sessionCount = 1 + Int(random.next(upTo: 3))
        var time = dayStart + Int64(random.next(upTo: spreadSeconds)) * 1000
        for sessionIndex in 0..<sessionCount {
            let clientSessionID: String? = kind == 3 || (kind == 2 && index % 8 == 2) ? "cs\(index)x\(sessionIndex)" : nil
            let campaign: (String, String)? = random.next(upTo: 2) == 0 ? Self.sources[Int(random.next(upTo: 4))] : nil
            let steps = 1 + Int(random.next(upTo: 6))
            var events = 0
            var landing: String?
            var amount: Int?
            var start: Int64?
            for step in 0..<steps {
                if step > 0 { time += Int64(5 + random.next(upTo: 1500)) * 1000 }
                let path = step == 0 ? Self.pages[Int(random.next(upTo: 3))] : Self.pages[Int(random.next(upTo: UInt64(Self.pages.count)))]
                let query = step == 0 ? campaign.map { "utm_source=\($0.0)&utm_medium=\($0.1)&utm_campaign=c\(index % 7)" } : nil
                var recorded = time
                switch kind {
                case 0:
                    output.web1.append(logLine(ip: ip, time: time, path: path, query: query, agent: agent, vid: vid, sid: nil))
                case 1:
                    output.web2.append(logLine(ip: ip, time: time, path: path, query: query, agent: agent, vid: nil, sid: nil))
                case 2:
                    output.events.append(event("PageView", time: time, vid: vid, sid: clientSessionID, url: url(path, query), extra: ""))
                default:
                    let line = logLine(ip: ip, time: time, path: path, query: query, agent: agent, vid: vid, sid: clientSessionID)
                    if index % 2 == 0 { output.web1.append(line) } else { output.web2.append(line) }
                    recorded = time + Int64(1 + random.next(upTo: 3)) * 1000
                    output.events.append(event("PageView", time: recorded, vid: vid, sid: clientSessionID, url: url(path, nil), extra: ""))
                }
                if start == nil { start = recorded }
                time = max(time, recorded)
                if landing == nil { landing = path }
                events += 1
                // Client visitors also watch and donate.
                if kind >= 2 && path == "/watch" {
                    time += 2000
                    output.events.append(event("ViewContent", time: time, vid: vid, sid: clientSessionID, url: nil, extra: #","properties":{"content":"trailer"}"#))
                    events += 1
                }
                if kind >= 2 && path == "/donate" && amount == nil {
                    let value = 5 * (1 + Int(random.next(upTo: 10)))
                    time += 30_000
                    output.events.append(event("InitiateCheckout", time: time, vid: vid, sid: clientSessionID, url: nil, extra: ",\"value\":\(value)"))
                    time += 60_000
                    output.events.append(event("Purchase", time: time, vid: vid, sid: clientSessionID, url: nil, extra: ",\"properties\":{\"value\":\(value)}"))
                    events += 2
                    amount = value
                }
            }
            let key = kind == 1 ? fingerprint(ip: ip, agent: agent) : vid
            let id = clientSessionID ?? sessionID(visitorKey: key, start: start!)
            output.expected.append(ExpectedSession(id: id, createdAt: start!, events: events, landingPage: landing,
                                                   donationAmount: amount.map(String.init), utmSource: campaign?.0))
            time += Int64(2400 + random.next(upTo: 20_000)) * 1000  // at least 40 minutes apart
        }
    }

    private func url(_ path: String, _ query: String?) -> String {
        "https://film.example" + path + (query.map { "?" + $0 } ?? "")
    }

    private func event(_ name: String, time: Int64, vid: String, sid: String?, url: String?, extra: String) -> String {
        var line = #"{"event":"\#(name)","timestamp":\#(time),"anonymous_id":"\#(vid)""#
        if let sid { line += #","session_id":"\#(sid)""# }
        if let url { line += #","url":"\#(url)""# }
        return line + extra + "}"
    }

    private func logLine(ip: String, time: Int64, path: String, query: String?, agent: String, vid: String?, sid: String?) -> String {
        let target = path + (query.map { "?" + $0 } ?? "")
        return "\(ip) - - [\(Self.timeLocal(time))] \"GET \(target) HTTP/1.1\" 200 1234 \"-\" \"\(agent)\" \"\(vid ?? "-")\" \"\(sid ?? "-")\""
    }

    /// `$time_local` in UTC, e.g. `01/Mar/2024:13:05:09 +0000`.
    static func timeLocal(_ millis: Int64) -> String {
        let seconds = millis / 1000
        let days = Int(seconds / 86_400)
        var secondOfDay = Int(seconds % 86_400)
        // Civil from days (Howard Hinnant), independent of the code under test.
        let z = days + 719_468
        let era = z / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        let names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let hour = secondOfDay / 3600
        secondOfDay %= 3600
        return "\(two(day))/\(names[month - 1])/\(year):\(two(hour)):\(two(secondOfDay / 60)):\(two(secondOfDay % 60)) +0000"
    }

    /// SPEC 4's formulas, written here independently of funnel's code.
    func fingerprint(ip: String, agent: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array((ip + "|" + agent).utf8), using: SymmetricKey(data: Array(salt.utf8)))
        return "fp" + Self.hex(Array(mac).prefix(8))
    }

    func sessionID(visitorKey: String, start: Int64) -> String {
        Self.hex(Array(SHA256.hash(data: Array("\(visitorKey)|\(start)".utf8))).prefix(8))
    }

    static func hex(_ bytes: ArraySlice<UInt8>) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}

/// A small deterministic random generator (SplitMix64), so generated traffic is the same on
/// every machine and run.
public struct SplitMix64 {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func next(upTo bound: UInt64) -> UInt64 { next() % bound }

    public mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for index in stride(from: items.count - 1, to: 0, by: -1) {
            items.swapAt(index, Int(next(upTo: UInt64(index + 1))))
        }
    }
}
