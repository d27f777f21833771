import Testing
import FunnelWriters

struct RedisURLTests {
    private let noEnvironment: [String: String] = [:]

    @Test func defaultsFillHostPortAndDB() throws {
        let url = try RedisURL("redis://", environment: noEnvironment)
        #expect(url.endpoint == .tcp(host: "127.0.0.1", port: 6379))
        #expect(url.db == 0 && url.username == nil && url.password == nil)
        #expect(url.redacted == "redis://127.0.0.1:6379/0")
    }

    @Test func parsesEveryPart() throws {
        let url = try RedisURL("redis://alice:s3cret@cache.internal:6380/4", environment: noEnvironment)
        #expect(url.endpoint == .tcp(host: "cache.internal", port: 6380))
        #expect(url.username == "alice")
        #expect(url.password == "s3cret")
        #expect(url.db == 4)
        #expect(url.redacted == "redis://alice:***@cache.internal:6380/4")
        #expect("\(url)" == url.redacted)
    }

    @Test func percentDecodesUserAndPassword() throws {
        let url = try RedisURL("redis://us%40er:p%40ss%3Aw%2Fo%25rd@localhost/1", environment: noEnvironment)
        #expect(url.username == "us@er")
        #expect(url.password == "p@ss:w/o%rd")
        #expect(url.redacted == "redis://us%40er:***@localhost:6379/1")
    }

    @Test func passwordOnlyAndIPv6() throws {
        let url = try RedisURL("redis://:pw@[::1]:7000", environment: noEnvironment)
        #expect(url.endpoint == .tcp(host: "::1", port: 7000))
        #expect(url.username == nil && url.password == "pw")
        #expect(url.redacted == "redis://:***@[::1]:7000/0")
    }

    @Test func passwordFromEnvironmentWhenURLHasNone() throws {
        let environment = ["REDIS_PASSWORD": "from-env"]
        let plain = try RedisURL("redis://127.0.0.1:6379/0", environment: environment)
        #expect(plain.password == "from-env")
        #expect(plain.redacted == "redis://:***@127.0.0.1:6379/0")
        let withUser = try RedisURL("redis://bob@127.0.0.1", environment: environment)
        #expect(withUser.username == "bob" && withUser.password == "from-env")
        let urlWins = try RedisURL("redis://:in-url@127.0.0.1", environment: environment)
        #expect(urlWins.password == "in-url")
    }

    @Test func unixSocket() throws {
        let url = try RedisURL("unix:///run/redis/redis.sock?db=3", environment: noEnvironment)
        #expect(url.endpoint == .unix(path: "/run/redis/redis.sock"))
        #expect(url.db == 3)
        #expect(url.redacted == "unix:///run/redis/redis.sock?db=3")
        let plain = try RedisURL("unix:///tmp/r.sock", environment: ["REDIS_PASSWORD": "x"])
        #expect(plain.db == 0 && plain.password == "x")
        #expect(!plain.redacted.contains("x@") && plain.redacted.hasSuffix("/tmp/r.sock"))
    }

    @Test(arguments: [
        ("localhost:6379", "no scheme"),
        ("http://host", "unknown scheme"),
        ("rediss://host", "TLS"),
        ("redis://host:0", "port '0'"),
        ("redis://host:http", "port 'http'"),
        ("redis://host:6379/x", "database 'x'"),
        ("redis://host/-1", "database '-1'"),
        ("redis://host?db=2", "not supported"),
        ("redis://a:b:c", "brackets"),
        ("redis://u:p%4@host", "percent escape"),
        ("redis://bob@host", "without a password"),
        ("unix://tmp/r.sock", "no host"),
        ("unix:///r.sock?timeout=2", "unknown parameter"),
        ("unix:///r.sock?db=x", "database 'x'"),
    ])
    func rejectsWithAReason(text: String, reason: String) {
        #expect {
            _ = try RedisURL(text, environment: [:])
        } throws: { error in
            let message = (error as? RedisURLError)?.message ?? ""
            return message.contains(reason) && message.hasPrefix("Bad Redis URL")
        }
    }

    @Test func errorMessageMasksThePassword() {
        #expect {
            _ = try RedisURL("redis://u:hunter2@host:99999/0", environment: [:])
        } throws: { error in
            let message = "\(error)"
            return !message.contains("hunter2") && message.contains("redis://u:***@host:99999/0")
        }
    }

    /// A password with an unencoded `/`, `?` or `#` is refused, and no piece of it is in the
    /// message (until 2026-12-05 the whole URL was printed, and the port or db quoted a piece).
    @Test(arguments: [
        "redis://u:hun/ter2@host:6379/0", "redis://u:hun?ter2@host/0", "redis://u:hun#ter2@host/0",
        "redis://:hun/ter2@host", "unix://u:hun/ter2@/run/redis.sock", "redis://u:hun/t?e#r2@host/1",
    ])
    func aPasswordCutShortIsNeverPrinted(url: String) {
        #expect {
            _ = try RedisURL(url, environment: [:])
        } throws: { error in
            let message = "\(error)"
            return !message.contains("hun") && !message.contains("ter2") && !message.contains("r2@")
                && message.contains("percent-encode") && message.contains("***@")
        }
    }

    /// A password in a query (`?password=`) or written without its colon (`redis://PASSWORD@`)
    /// is in no message: both were printed whole (until 2026-12-05). `db` stays readable.
    @Test(arguments: [
        ("redis://127.0.0.1:6903/0?password=hunter2", "redis://127.0.0.1:6903/0?password=***"),
        ("redis://127.0.0.1:6903/0?hunter2", "redis://127.0.0.1:6903/0?***"),
        ("unix:///tmp/x.sock?db=2&password=hunter2", "unix:///tmp/x.sock?db=2&password=***"),
        ("redis://hunter2@127.0.0.1:6903/0", "redis://***@127.0.0.1:6903/0"),
        ("unix://hunter2@/tmp/x.sock", "unix://***@/tmp/x.sock"),
    ])
    func aPasswordInAQueryOrWithoutItsColonIsNeverPrinted(url: String, shown: String) {
        #expect {
            _ = try RedisURL(url, environment: [:])
        } throws: { error in
            let message = "\(error)"
            return !message.contains("hunter2") && message.contains("'\(shown)'")
        }
    }

    /// A unix socket path may hold `@` and `:`; it is no password.
    @Test func aSocketPathWithAnAtIsAPath() throws {
        let url = try RedisURL("unix:///run/redis@main:x/redis.sock", environment: [:])
        #expect(url.endpoint == .unix(path: "/run/redis@main:x/redis.sock"))
        let encoded = try RedisURL("redis://u:pa%2Fss%3F%23@host/2", environment: [:])
        #expect(encoded.password == "pa/ss?#")
    }
}
