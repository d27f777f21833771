@testable import FunnelPipeline
import FunnelTestSupport
import Testing

/// A file read again over an existing history must be known as the file it is (SPEC 10: a
/// re-run converges on one clean run), whatever order or spelling names it this time: a file
/// whose lines get new positions is stored twice. Until 2026-12-05 the order of `--input`
/// arguments was part of the positions, and a file given in another order, or named by its
/// pipeline in another place or spelling, was stored again without a word (a review).
@Suite(.serialized)
struct RenamedInputTests {
    private static func logs(_ folder: String) {
        TestFiles.write(folder + "/a.log", ChangedInputTests.line(0, "/a") + "\n" + ChangedInputTests.line(2, "/a2") + "\n")
        TestFiles.write(folder + "/b.log", ChangedInputTests.line(1, "/b") + "\n")
    }

    private static func run(_ pipeline: String, output: String, inputs: [String] = []) throws -> RunSummary {
        var options = RunOptions()
        options.inputs = inputs
        options.output = output
        options.progress = .never
        return try Runner(pipeline: try PipelineLoader.load(path: pipeline), options: options, report: { _ in }).run()
    }

    @Test func theOrderOfInputArgumentsIsNoPartOfPositions() throws {
        let folder = TestFiles.temporaryFolder("renamed-input-order")
        defer { TestFiles.remove(folder) }
        Self.logs(folder)
        let pipeline = ChangedInputTests.pipeline(folder)
        let (a, b) = (folder + "/a.log", folder + "/b.log")
        let clean = try Self.run(pipeline, output: folder + "/clean", inputs: [a, b])
        #expect(clean.exitStatus == .success)
        _ = try Self.run(pipeline, output: folder + "/out", inputs: [a, b])
        let swapped = try Self.run(pipeline, output: folder + "/out", inputs: [b, a])
        #expect(swapped.exitStatus == .success && swapped.problems.isEmpty, "\(swapped.problems)")
        #expect(swapped.files.allSatisfy { $0.seenBefore == "read before, unchanged" })
        // The history's sessions hold each page view once, as the clean run's do.
        _ = try Exporter.export(historyFolder: folder + "/out", to: folder + "/export")
        let exported = TestFiles.readText(folder + "/export/sessions.ndjson")
        #expect(exported?.contains(#""landing_page":"/a""#) == true && exported == TestFiles.readText(folder + "/clean/sessions.ndjson"))
    }

    @Test func aFileTheHistoryKnowsByAnotherNameIsSaid() throws {
        let folder = TestFiles.temporaryFolder("renamed-input-pattern")
        defer { TestFiles.remove(folder) }
        Self.logs(folder)
        let pipeline = ChangedInputTests.pipeline(folder, paths: #"a.log", "b.log"#)
        #expect(try Self.run(pipeline, output: folder + "/out").exitStatus == .success)
        // The same files, their patterns the other way round: each file's lines are named by
        // the other pattern's place now, so the history would hold them twice.
        let swapped = ChangedInputTests.pipeline(folder, paths: #"b.log", "a.log"#)
        let again = try Self.run(swapped, output: folder + "/out")
        #expect(again.exitStatus == .inputDamaged)
        #expect(again.problems.first?.contains("was read before under another name in the history") == true, "\(again.problems)")
        // Given as --input after the pipeline's paths: said too.
        let given = try Self.run(swapped, output: folder + "/out", inputs: [folder + "/a.log"])
        #expect(given.exitStatus == .inputDamaged, "\(given.problems)")
    }

    @Test func aFileChangedInPlaceIsSaidWhateverWayThePipelineIsNamed() throws {
        let folder = TestFiles.temporaryFolder("renamed-input-spelling")
        defer { TestFiles.remove(folder) }
        Self.logs(folder)
        _ = ChangedInputTests.pipeline(folder, paths: "a.log")
        #expect(try Self.run(folder + "/pipeline.yaml", output: folder + "/out").exitStatus == .success)
        TestFiles.write(folder + "/a.log", ChangedInputTests.line(0, "/changed") + "\n" + ChangedInputTests.line(2, "/a2") + "\n")
        // The pipeline named through `..`: its files' paths are spelled another way.
        let spelled = folder + "/../" + String(folder.split(separator: "/").last!) + "/pipeline.yaml"
        let changed = try Self.run(spelled, output: folder + "/out")
        #expect(changed.exitStatus == .inputDamaged, "\(changed.problems)")
        #expect(changed.files.first?.seenBefore?.hasSuffix("changed since") == true)
    }
}
