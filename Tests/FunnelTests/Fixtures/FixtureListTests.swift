import FunnelTestSupport
import Testing

/// The golden tests run every case `FixtureCase.all` lists; this makes sure that list is the
/// whole of `fixtures/`: a folder without its `pipeline.yaml` would drop out of every
/// fixture-driven test without a word, and so would all of them if none were found.
struct FixtureListTests {
    @Test func everyFixtureFolderIsACase() {
        let folders = FixtureCase.folders
        #expect(folders.count >= 27, "\(folders)")
        #expect(FixtureCase.all.map(\.name) == folders)
        for name in folders {
            for file in ["exit_status", "sessions.ndjson", "sessions.csv", "redis.txt", "rejects.ndjson"] {
                #expect(TestFiles.exists(FixtureCase.repositoryRoot + "/fixtures/" + name + "/expected/" + file), "\(name) has no expected/\(file)")
            }
        }
    }
}
