import FunnelCore
@testable import FunnelTransform
import Testing

/// A session's city stands beside its own country: a city from a record that names no
/// country is taken only when the session has no country at all (until 2026-12-06 it was
/// taken beside a country from another record or the database: "US, Lyon"; a review).
struct SessionCityTests {
    private func facts(_ records: [(country: String?, city: String?, geoCountry: String?, geoCity: String?)]) -> SessionFacts {
        let t0: Int64 = 1_704_067_200_000
        let made = records.enumerated().map { index, values in
            var record = Record(origin: .client, event: "PageView", timestamp: t0 + Int64(index) * 1000)
            record.visitorID = "v1"
            record.country = values.country
            record.city = values.city
            record.geoCountry = values.geoCountry
            record.geoCity = values.geoCity
            return record
        }
        let session = Sessionizer.Session(id: "s1", isClientSession: true, start: t0, last: made.last?.timestamp ?? t0, campaign: nil, records: made)
        return SessionFacts(session: session, siteHosts: [])
    }

    @Test func aCityWithoutItsCountryStandsOnlyWithoutAnyCountry() {
        #expect(facts([(nil, "Lyon", "US", "Seattle")]).city == nil, "the database's US: its Seattle, not Lyon")
        #expect(facts([("DE", nil, nil, nil), (nil, "Seattle", "US", nil)]).city == nil, "DE from a record: no Seattle")
        #expect(facts([(nil, nil, "US", nil), (nil, "Berlin", nil, nil)]).city == nil)
        #expect(facts([(nil, "Lyon", nil, nil)]).city == "Lyon", "no country anywhere")
        #expect(facts([("FR", "Lyon", "US", "Seattle")]).city == "Lyon", "a record's city beside its own country")
        #expect(facts([("FR", nil, nil, nil), ("FR", "Lyon", nil, nil)]).city == "Lyon")
    }
}
