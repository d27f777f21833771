import FunnelTestSupport
import FunnelTransform
import Testing

/// Country and city from a MaxMind DB (SPEC 6), against databases the tests write themselves.
struct GeoDatabaseTests {
    /// A folder holding one generated database, removed by `cleanUp()`.
    private struct Fixture {
        let folder = TestFiles.temporaryFolder("funnel-geo")
        var path: String { folder + "/geo.mmdb" }

        func cleanUp() { TestFiles.remove(folder) }
    }

    private static func cityWriter(ipVersion: Int = 6, recordSize: Int = 28) throws -> MMDBWriter {
        let writer = MMDBWriter(ipVersion: ipVersion, recordSize: recordSize)
        try writer
            .insert(network: "203.0.113.0/24", country: "US", city: "Seattle")
            .insert(network: "203.0.113.128/25", country: "US", city: "Tacoma")
            .insert(network: "198.51.100.7", country: "GB", city: "London")
            .insert(network: "10.0.0.0/8", country: "DE")
        if ipVersion == 6 {
            try writer
                .insert(network: "2001:db8::/32", country: "JP", city: "Tokyo")
                .insert(network: "2001:db8:1::/48", country: "FR", city: "Paris")
        }
        return writer
    }

    private func database(_ writer: MMDBWriter, in fixture: Fixture, cacheCapacity: Int = 100_000) throws -> GeoDatabase {
        try writer.write(to: fixture.path)
        return try GeoDatabase(path: fixture.path, cacheCapacity: cacheCapacity)
    }

    private func openError(_ path: String) -> GeoError? {
        do {
            _ = try GeoDatabase(path: path)
            return nil
        } catch {
            return error
        }
    }

    // MARK: - Lookups

    @Test(arguments: [24, 28, 32])
    func findsIPv4Networks(recordSize: Int) throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        let geo = try database(Self.cityWriter(recordSize: recordSize), in: fixture)
        #expect(geo.lookup(ip: "203.0.113.5") == GeoLocation(countryCode: "US", city: "Seattle"))
        #expect(geo.lookup(ip: "203.0.113.200") == GeoLocation(countryCode: "US", city: "Tacoma"))
        #expect(geo.lookup(ip: "198.51.100.7") == GeoLocation(countryCode: "GB", city: "London"))
        #expect(geo.lookup(ip: "198.51.100.8") == nil)
        #expect(geo.lookup(ip: "10.200.0.1") == GeoLocation(countryCode: "DE", city: nil))
        #expect(geo.databaseType == "Funnel-Test-City")
        #expect(geo.lookupErrors == 0)
    }

    @Test(arguments: [24, 28, 32])
    func findsIPv6Networks(recordSize: Int) throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        let geo = try database(Self.cityWriter(recordSize: recordSize), in: fixture)
        #expect(geo.lookup(ip: "2001:db8::1") == GeoLocation(countryCode: "JP", city: "Tokyo"))
        #expect(geo.lookup(ip: "2001:0DB8:0000:0000:0000:0000:0000:0001") == GeoLocation(countryCode: "JP", city: "Tokyo"))
        #expect(geo.lookup(ip: "2001:db8:1:ffff::9") == GeoLocation(countryCode: "FR", city: "Paris"))
        #expect(geo.lookup(ip: "2001:db9::1") == nil)
        #expect(geo.lookup(ip: "::1") == nil)
    }

    @Test(arguments: [4, 6])
    func findsIPv4MappedIPv6AsIPv4(ipVersion: Int) throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        let geo = try database(Self.cityWriter(ipVersion: ipVersion), in: fixture)
        #expect(geo.lookup(ip: "::ffff:203.0.113.5") == GeoLocation(countryCode: "US", city: "Seattle"))
        #expect(geo.lookup(ip: "::FFFF:cb00:71c8") == GeoLocation(countryCode: "US", city: "Tacoma"))
        #expect(geo.lookup(ip: "::ffff:192.0.2.1") == nil)
    }

    @Test func ipv6InAnIPv4DatabaseIsUnknownNotAnError() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        let geo = try database(Self.cityWriter(ipVersion: 4), in: fixture)
        #expect(geo.lookup(ip: "2001:db8::1") == nil)
        #expect(geo.lookup(ip: "203.0.113.5")?.city == "Seattle")
        #expect(geo.lookupErrors == 0)
    }

    @Test(arguments: [
        "", "-", "unknown", "203.0.113", "127.1", "0xcb.0.113.5", "203.0.113.5 ", " 203.0.113.5",
        "203.0.113.256", "203.0.113.0/24", "2001:db8::1%eth0", "2001:db8:::1", "[2001:db8::1]",
        "203.0.113.5, 10.0.0.1",
    ])
    func badAddressTextIsNil(_ text: String) throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        let geo = try database(Self.cityWriter(), in: fixture)
        #expect(geo.lookup(ip: text) == nil)
        #expect(geo.lookupErrors == 0)
    }

    @Test func countryOnlyDatabaseHasNoCity() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        let writer = MMDBWriter(ipVersion: 6, databaseType: "Funnel-Test-Country")
        try writer
            .insert(network: "203.0.113.0/24", country: "US")
            .insert(network: "198.51.100.0/24", country: "gb")
            .insert(network: "192.0.2.0/24", country: "USA")
            .insert(network: "2001:db8::/32", country: "JP")
            .insert(network: "10.0.0.0/8", country: "ZZ")
            .insert(network: "172.16.0.0/12", country: "uk")
            .insert(network: "100.64.0.0/10", country: "EU")
        let geo = try database(writer, in: fixture)
        // Read as a record's code is (until 2026-12-06 any two letters were written; a review).
        #expect(geo.lookup(ip: "10.1.2.3") == nil, "ZZ is no country")
        #expect(geo.lookup(ip: "100.64.0.1") == nil, "EU is no country")
        #expect(geo.lookup(ip: "172.16.0.1") == GeoLocation(countryCode: "GB", city: nil), "UK is GB")
        #expect(geo.lookup(ip: "203.0.113.5") == GeoLocation(countryCode: "US", city: nil))
        #expect(geo.lookup(ip: "198.51.100.1") == GeoLocation(countryCode: "GB", city: nil), "ISO codes are upper-cased")
        #expect(geo.lookup(ip: "192.0.2.1") == nil, "not an alpha-2 code")
        #expect(geo.lookup(ip: "2001:db8::5") == GeoLocation(countryCode: "JP", city: nil))
        #expect(geo.databaseType == "Funnel-Test-Country")
    }

    @Test(arguments: [4, 6])
    func laterNetworksWinOverWhatTheyCover(ipVersion: Int) throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        let writer = MMDBWriter(ipVersion: ipVersion)
        try writer
            .insert(network: "0.0.0.0/0", country: "DE")
            .insert(network: "203.0.113.0/24", country: "US", city: "Seattle")
            .insert(network: "203.0.0.0/8", country: "AU")
            .insert(network: "203.0.113.9/32", country: "NZ", city: "Auckland")
        let geo = try database(writer, in: fixture)
        #expect(geo.lookup(ip: "1.1.1.1") == GeoLocation(countryCode: "DE"))
        #expect(geo.lookup(ip: "255.255.255.255") == GeoLocation(countryCode: "DE"))
        #expect(geo.lookup(ip: "203.0.113.5") == GeoLocation(countryCode: "AU"))
        #expect(geo.lookup(ip: "203.0.113.9") == GeoLocation(countryCode: "NZ", city: "Auckland"))
        #expect(geo.lookup(ip: "203.0.113.10") == GeoLocation(countryCode: "AU"))
        #expect(geo.lookup(ip: "2001:db8::1") == nil)
    }

    @Test func recordsOfAnotherShapeGiveNothing() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        let writer = MMDBWriter(ipVersion: 4)
        try writer
            .insert(network: "203.0.113.0/24", record: .map([("country", .string("US")), ("city", .uint32(7))]))
            .insert(network: "198.51.100.0/24", record: .map([("autonomous_system_number", .uint32(64_496))]))
            .insert(network: "192.0.2.0/24", record: .map([("city", .map([("names", .map([("de", .string("München"))]))]))]))
            .insert(network: "10.0.0.0/8", record: .map([
                ("city", .map([("names", .map([("de", .string("München")), ("en", .string("Munich"))]))])),
                ("country", .map([("iso_code", .string("DE")), ("names", .map([("en", .string("Germany"))]))])),
            ]))
        let geo = try database(writer, in: fixture)
        #expect(geo.lookup(ip: "203.0.113.5") == nil)
        #expect(geo.lookup(ip: "198.51.100.5") == nil)
        #expect(geo.lookup(ip: "192.0.2.5") == nil, "only English city names")
        #expect(geo.lookup(ip: "10.1.1.1") == GeoLocation(countryCode: "DE", city: "Munich"))
        #expect(geo.lookupErrors == 0)
    }

    // MARK: - Cache

    @Test func cachedAnswersMatchFreshOnes() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        let addresses = ["203.0.113.5", "203.0.113.200", "2001:db8::1", "192.0.2.1", "bogus", "::ffff:198.51.100.7", "10.0.0.1"]
        let fresh = try database(Self.cityWriter(), in: fixture)
        let expected = addresses.map { fresh.lookup(ip: $0) }
        // A capacity of 2 evicts all the time; a large one keeps everything.
        for capacity in [2, 1_000] {
            let geo = try GeoDatabase(path: fixture.path, cacheCapacity: capacity)
            for _ in 0..<5 {
                #expect(addresses.map { geo.lookup(ip: $0) } == expected)
                #expect(addresses.reversed().map { geo.lookup(ip: $0) } == expected.reversed())
            }
        }
        #expect(expected[0] == GeoLocation(countryCode: "US", city: "Seattle"))
        #expect(expected[3] == nil && expected[4] == nil)
    }

    // MARK: - Files that cannot be used

    @Test func missingFileIsAClearError() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        let error = try #require(openError(fixture.folder + "/GeoLite2-City.mmdb"))
        #expect(error.kind == .missing)
        #expect(error.path == fixture.folder + "/GeoLite2-City.mmdb")
        #expect(error.description.contains("'\(fixture.folder)/GeoLite2-City.mmdb' does not exist"))
        #expect(error.description.contains("No such file or directory"))
        #expect(error.description.contains("check the path"))
    }

    @Test func folderIsAClearError() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        let error = try #require(openError(fixture.folder))
        #expect(error.kind == .unreadable)
        #expect(error.description.contains("name the .mmdb file itself"))
    }

    @Test func emptyFileIsAClearError() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        TestFiles.write(fixture.path, [])
        let error = try #require(openError(fixture.path))
        #expect(error.kind == .notMaxMindDB)
        #expect(error.description.contains("is empty"))
    }

    @Test func fileThatIsNotAMaxMindDBIsAClearError() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        TestFiles.write(fixture.path, "network,country\n203.0.113.0/24,US\n")
        let error = try #require(openError(fixture.path))
        #expect(error.kind == .notMaxMindDB)
        #expect(error.description.contains("'\(fixture.path)' is not a MaxMind DB (.mmdb) file"))
        #expect(error.description.contains("libmaxminddb: The MaxMind DB file contains invalid metadata"))
        #expect(error.description.contains("download the database again"))
    }

    @Test func compressedDownloadSaysToUnpackIt() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        TestFiles.write(fixture.path, [0x1F, 0x8B, 0x08, 0x00] + Array(repeating: 0x41, count: 60))
        let error = try #require(openError(fixture.path))
        #expect(error.kind == .notMaxMindDB)
        #expect(error.description.contains("is compressed"))
        #expect(error.description.contains("unpack it first"))
    }

    @Test(arguments: [0.5, 0.99])
    func truncatedFileIsAClearError(keeping fraction: Double) throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        let bytes = try Self.cityWriter().bytes()
        TestFiles.write(fixture.path, bytes.prefix(Int(Double(bytes.count) * fraction)))
        // Cut in the tree or data, the metadata marker is gone; cut in the metadata, what is
        // left of it does not decode.
        let error = try #require(openError(fixture.path))
        #expect(error.kind == (fraction < 0.9 ? .notMaxMindDB : .corrupt))
        #expect(error.description.contains("cut short"))
        #expect(error.description.contains("libmaxminddb: "))
    }

    @Test func damagedSearchTreeIsAnErrorAtOpen() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        var bytes = try Self.cityWriter(recordSize: 24).bytes()
        // Node 1's records point back to the root: a loop no lookup may follow.
        for index in 6..<12 { bytes[index] = 0 }
        TestFiles.write(fixture.path, bytes)
        let error = try #require(openError(fixture.path))
        #expect(error.kind == .corrupt)
        #expect(error.description.contains("is damaged"))
        #expect(error.description.contains("libmaxminddb: The MaxMind DB file's search tree is corrupt at node 1"))
    }

    @Test func damagedDataGivesNilAndIsCounted() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        var bytes = try MMDBWriter(ipVersion: 4).insert(network: "203.0.113.0/24", country: "US", city: "Seattle").bytes()
        // The first key of the record claims to be a string longer than the whole file.
        let key = try #require(Self.firstIndex(of: [0x44] + Array("city".utf8), in: bytes))
        bytes[key] = 0x5F
        TestFiles.write(fixture.path, bytes)
        let geo = try GeoDatabase(path: fixture.path)
        #expect(geo.lookup(ip: "203.0.113.5") == nil)
        #expect(geo.lookupErrors > 0)
    }

    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    // MARK: - The test writer itself

    @Test(arguments: ["203.0.113.1/24", "203.0.113.0/33", "2001:db8::/129", "203.0.113.0/x", "example.com/24", "1.2.3.4/8/8"])
    func writerRejectsBadNetworks(_ network: String) {
        #expect(throws: MMDBWriterError.self) { try MMDBWriter().insert(network: network, country: "US") }
    }

    @Test func writerRejectsIPv6InAnIPv4Database() {
        #expect(throws: MMDBWriterError.self) { try MMDBWriter(ipVersion: 4).insert(network: "2001:db8::/32", country: "JP") }
    }
}
