#if canImport(Glibc)
import Glibc
#endif

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
        // Written under a name of its own and renamed over the old one: three suites prepare
        // the same fixtures in parallel while runs read `geo.mmdb` mapped into memory, which a
        // file rewritten in place could truncate under them (a review of the tests).
        let path = fixture.folder + "/geo.mmdb"
        let temporary = path + ".\(getpid()).\(UInt64.random(in: 0...UInt64.max))"
        try writer.write(to: temporary)
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw MMDBWriterError("cannot rename \(temporary) to \(path): \(String(cString: strerror(errno)))")
        }
    }
}
