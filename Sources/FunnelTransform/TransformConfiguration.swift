import FunnelCore

/// Everything the transformer needs from a pipeline file.
public struct TransformConfiguration {
    public var schema: Schema = .mvp
    public var sessions = SessionSettings()
    /// HMAC key of fingerprints (`identity.salt`).
    public var salt = ""
    /// The site's own hosts: referrers from them (and their subdomains) are internal.
    public var siteHosts: [String] = []
    /// Content slots of the enhanced schema (`<slot>_watched`, `<slot>_completion`).
    public var slots = ContentSlot.defaults
    /// Events kept per session (`limits.max_events_per_session`); the rest are dropped.
    public var maxEventsPerSession = EventCap.defaultMax
    /// The most records a visitor's tail keeps (`VisitorTail`); a longer latest session (a
    /// crawler's day at several requests a second) keeps none, and its visitor is rebuilt.
    public var maxTailRecords = VisitorTail.defaultMaxRecords
    /// Optional MaxMind DB for country and city by IP.
    public var geo: GeoDatabase?

    public init(schema: Schema = .mvp, sessions: SessionSettings = SessionSettings(), salt: String = "") {
        self.schema = schema
        self.sessions = sessions
        self.salt = salt
    }

    public var fieldLayout: FieldLayout { FieldLayout(schema: schema, slots: slots.map(\.name)) }
}
