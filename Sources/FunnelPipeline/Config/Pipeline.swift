import FunnelCore
import FunnelTransform
import FunnelWriters

/// A pipeline file (SPEC 12), validated: every value here has been checked and every relative
/// path resolved against the file's folder.
public struct Pipeline: Sendable {
    public struct Source: Sendable {
        public enum Kind: String, Sendable, CaseIterable {
            case accessLog = "access_log"
            case ndjson
        }

        public var kind: Kind
        /// Path patterns as written, with globs and `{date}` placeholders, resolved to absolute
        /// or pipeline-relative form.
        public var paths: [String]
        /// Access logs: `combined`, `common` or an nginx `log_format` string.
        public var format: String = "combined"
        public var visitorCookie: String?
        public var sessionCookie: String?
        public var countryVariable: String = "http_cf_ipcountry"
        /// The header variable with the city's name (`city_variable`).
        public var cityVariable: String = "http_cf_ipcity"
        /// The country and city variables as the file names them (the defaults when it names
        /// none), which `ReadingSettings` fingerprints: a variable funnel picks itself from the
        /// format (`countryVariables`) does not make the files a version before it read "read
        /// with other settings" (a review of the pick: exit 2 after an upgrade).
        public var writtenCountryVariable = "http_cf_ipcountry"
        public var writtenCityVariable = "http_cf_ipcity"
        /// Variables that hold a country code under well-known names, the default first: the
        /// one a format holds is read when `country_variable` is not set.
        public static let countryVariables = ["http_cf_ipcountry", "http_cloudfront_viewer_country", "http_x_vercel_ip_country",
                                              "http_x_appengine_country", "geoip2_data_country_code", "geoip2_data_country_iso_code",
                                              "geoip_country_code"]
        /// The same for a city's name (`city_variable`).
        public static let cityVariables = ["http_cf_ipcity", "http_cloudfront_viewer_city", "geoip2_data_city_name", "geoip_city"]
        /// NDJSON: `canonical`, `posthog` or `segment`.
        public var dialect: String = "canonical"
        /// NDJSON: canonical field name -> dotted JSON path, applied on top of the dialect.
        public var fields: [String: String] = [:]
        /// NDJSON: an export's event name -> funnel's (`Order Completed: Purchase`), on top of
        /// the dialect's own names (`event_names`).
        public var eventNames: [String: String] = [:]
    }

    public enum SinkKind: String, Sendable, CaseIterable {
        case redis
        case ndjson
        case csv
        case resp
    }

    public struct Sink: Sendable {
        public var kind: SinkKind = .ndjson
        public var url: String?
        public var output: String = "out"
        public var keyPrefix: String = ""
        public var hashTags = false
        public var ttlSeconds: Int?
        /// The flat-file sinks' sessions file as one gzip member (`sessions.ndjson.gz`,
        /// `sessions.csv.gz`, `redis.resp.gz`); rejects and deleted ids stay plain.
        public var gzip = false

        /// The URL text of the Redis a run loads (`run`, `backfill`) or reads (`inspect`): the
        /// command line's `--redis-url`, else the file's `url`, else the local default.
        public func redisURLText(override: String?) -> String {
            override ?? url ?? "redis://127.0.0.1:6379/0"
        }

        /// The keys the file sets that a sink of `kind` does not use: the Redis ones for
        /// `ndjson` and `csv`, `url` for `resp` (its command stream holds the prefix, the hash
        /// tags and the `EXPIRE`). `gzip` with `redis` is refused instead.
        public func unusedSettings(by kind: SinkKind) -> [String] {
            var keys: [String] = []
            if kind != .redis, url != nil { keys.append("url") }
            if kind == .ndjson || kind == .csv {
                if !keyPrefix.isEmpty { keys.append("key_prefix") }
                if hashTags { keys.append("hash_tags") }
                if ttlSeconds != nil { keys.append("ttl") }
            }
            return keys
        }

        /// Where a session's keys are: `key_prefix` and `hash_tags`.
        public var keyLayout: RedisKeyLayout { RedisKeyLayout(prefix: keyPrefix, hashTags: hashTags) }
    }

    /// Where the file was read from; relative paths are resolved against its folder.
    public var file: String
    public var sources: [Source]
    public var siteHosts: [String] = []
    public var salt: String = ""
    public var sessions = SessionSettings()
    public var schema: Schema = .mvp
    /// Content slots of the enhanced schema; default trailer = `trailer*`, intro = `intro*`.
    public var slots = ContentSlot.defaults
    /// A MaxMind DB (`.mmdb`) for country and city by IP, when the records lack them.
    public var geoDatabase: String?
    public var sink = Sink()
    public var excludedPaths: [String] = []
    public var botPatterns: [String] = []
    public var maxLineLength = 64 * 1024
    public var maxRejectRate: Double = 0.01
    /// Events kept per session; the rest are dropped and counted (`EventCap`).
    public var maxEventsPerSession = EventCap.defaultMax
    /// The most memory the history's key filter may take (`limits.key_filter_bytes`): a
    /// history grows with every night, and a run's memory must not grow with it (`KeyFilter`).
    public var keyFilterBytes = Pipeline.defaultKeyFilterBytes
    /// What the file sets that no run of it can use, said by `run` and `validate` rather than
    /// refused (SPEC 12's example, which must load, names cookies for the `combined` format,
    /// which holds none): until 2026-12-05 nothing was said, and every visitor of such a
    /// source was told by fingerprint while `validate` called the file OK (a review).
    public var loadWarnings: [LoadWarning] = []

    /// One of `loadWarnings`, with the kind of source it is about: a run of `--input` files
    /// says only those of the kinds it reads (a review: an NDJSON `--input` was told of the
    /// access-log source's cookies).
    public struct LoadWarning: Sendable {
        /// Nil: about the whole pipeline, said to every run.
        public var kind: Source.Kind?
        public var text: String
        /// About the settings the file's own `sink.kind` does not use: not said to a run whose
        /// `--sink` chose another sink (a CI run of a Redis pipeline with `--sink ndjson`).
        public var aboutTheFilesSink = false
    }
    /// 64 MiB: about 53 million keys at full precision, and a run at the bench's size L
    /// (185 MiB without a history) under 300 MiB with any history behind it.
    public static let defaultKeyFilterBytes = 64 << 20
    /// 256 MiB (about 215 million keys at full precision), the largest bound accepted: the
    /// filter is stored whole with the history, as one SQLite blob (Debian's SQLite refuses
    /// values over 1,000,000,000 bytes) or one Redis string (over 512 MB unless the server's
    /// `proto-max-bulk-len` is raised), so a larger bound would let a run do all its work and
    /// then fail to commit, as would every run after it.
    public static let maximumKeyFilterBytes = 256 << 20
    /// The smallest bound accepted: 64 KiB, about 52,000 keys.
    public static let minimumKeyFilterBytes = 64 << 10
    /// A visitor rebuilt from more records than this is named in the run's warnings
    /// (`limits.warn_visitor_records`): a run that adds to a visitor it cannot continue
    /// (`continueVisitorRecords`) reads and rebuilds all of that visitor's records (SPEC 10), so
    /// such a visitor who never goes away (a monitor or
    /// script with a browser's agent and a cookie, or many people behind one address and
    /// agent without cookies) makes each run's time and memory grow with its history.
    public var warnVisitorRecords = Pipeline.defaultWarnVisitorRecords
    /// 100,000 records: about 100 MiB of a run's memory while the visitor is rebuilt.
    public static let defaultWarnVisitorRecords = 100_000
    /// A visitor whose sessions were built from this many records or more is continued from
    /// what its stored row keeps of them (`VisitorPast`) when all of a run's new records of it
    /// come after its stored ones by more than the session timeout, instead of rebuilt from
    /// every record it has (`limits.continue_visitor_records`). The new sessions are the same
    /// either way; a continued visitor costs its new records only.
    public var continueVisitorRecords = Pipeline.defaultContinueVisitorRecords
    /// 20 records: a visitor with fewer is rebuilt (a rebuild reads few, and its row keeps no
    /// tail). Until 2026-12-05's night it was 10,000, and a visitor who came back every day for a year
    /// with a few records a day was rebuilt whole every night: a review's 403 nights grew from
    /// 0.14 s and 38 MB a night to 1.8 s and 424 MB (80,352 sessions rebuilt to write 503). At
    /// 20 its nights stayed flat, with the same sessions; a day's run at the bench's L took
    /// the same time and wrote the same history.
    public static let defaultContinueVisitorRecords = 20
    /// False: no visitor is continued from its past; every visitor a run touches is rebuilt
    /// from all of its records, as SPEC 10 describes the result. Not a pipeline-file setting:
    /// the reference the tests compare continued visitors against (the same sessions, more
    /// work).
    public var continuesVisitors = true
}
