/// Where an IP address is, as far as the MaxMind DB knows (SPEC 6).
public struct GeoLocation: Sendable, Hashable {
    /// ISO 3166-1 alpha-2, upper case (`GB`), from the database's `country.iso_code`.
    public var countryCode: String?
    /// The English city name (`city.names.en`); nil in Country databases.
    public var city: String?

    public init(countryCode: String? = nil, city: String? = nil) {
        self.countryCode = countryCode
        self.city = city
    }
}
