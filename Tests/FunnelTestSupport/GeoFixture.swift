/// Fixtures that need a MaxMind DB describe it in `geo.tsv` (network, country, city per line);
/// the tests build `geo.mmdb` from it with the project's own writer, so no third-party data is
/// committed. The generated file is ignored by git.
public enum GeoFixture {
    public static func prepare(_ fixture: FixtureCase) throws {
        guard let text = TestFiles.readText(fixture.folder + "/geo.tsv") else { return }
        let writer = MMDBWriter(ipVersion: 6)
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard columns.count >= 2 else { continue }
            try writer.insert(network: columns[0], country: columns[1], city: columns.count > 2 && !columns[2].isEmpty ? columns[2] : nil)
        }
        try writer.write(to: fixture.folder + "/geo.mmdb")
    }
}
