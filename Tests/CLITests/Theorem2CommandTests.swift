import Foundation
import XCTest

final class Theorem2CommandTests: XCTestCase {
    func testJSONCarriesThePredictionsAndTheOutcomes() throws {
        let run = try CLIHarness.run(["theorem2", "--steps", "2000", "--json"])
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        let json = try run.jsonObject()
        let implicit = try XCTUnwrap(json["im_rm"] as? [String: Any])
        XCTAssertEqual(implicit["unseen_rows_unchanged"] as? Bool, true)
        XCTAssertEqual(implicit["unseen_accuracy"] as? Double, 0.5)
        let explicit = try XCTUnwrap(json["ex_rm"] as? [String: Any])
        let cosines = try XCTUnwrap(explicit["cosine_to_max_margin"] as? [[Double]])
        XCTAssertEqual(cosines.first, [0, 0])
        XCTAssertEqual(cosines.last?.first, 2000)
        XCTAssertGreaterThan(try XCTUnwrap(cosines.last?.last), try XCTUnwrap(cosines[1].last))
        let predicted = try XCTUnwrap(explicit["predicted_correct_fraction"] as? Double)
        XCTAssertTrue((0...1).contains(predicted))
        XCTAssertNotNil(explicit["unseen_accuracy"] as? Double)
        let sets = try XCTUnwrap(json["sets"] as? [String: [String: Any]])
        XCTAssertEqual(Set(sets.keys), ["train", "test", "paraphrase", "paraphrase_test"])
        let paraphrase = try XCTUnwrap(sets["paraphrase"]?["im_rm"] as? [String: Any])
        XCTAssertEqual(paraphrase["unseen_accuracy"] as? Double, 0.5)
    }

    func testTextAndReport() throws {
        let folder = try CLIHarness.temporaryDirectory(for: self)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("notes"), withIntermediateDirectories: true)
        let report = folder.appendingPathComponent("notes/theorem2.md").path
        let run = try CLIHarness.run(["theorem2", "--steps", "100", "--alignment", "0.3", "--report", report])
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        XCTAssertTrue(run.standardOutput.contains("bit-identical"), run.standardOutput)
        let markdown = try String(contentsOfFile: report, encoding: .utf8)
        XCTAssertTrue(markdown.contains("theorem2 --steps 100 --alignment 0.3 --report"), markdown)
        XCTAssertTrue(markdown.contains("theorem2-cosine.svg"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("notes/theorem2-cosine.svg").path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("notes/theorem2-accuracy.svg").path))
    }

    func testInstanceFiles() throws {
        let folder = try CLIHarness.temporaryDirectory(for: self)
        let path = try ShiftCommandFixtures.write(ShiftCommandFixtures.separableJSON, named: "sep.json", in: folder)
        let run = try CLIHarness.run(["theorem2", "--instance", path, "--steps", "20000", "--lr", "1", "--json"])
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        let json = try run.jsonObject()
        let explicit = try XCTUnwrap(json["ex_rm"] as? [String: Any])
        // <u*, zbar> = 0.2 > 0: predicted correct, and the trained head gets there.
        XCTAssertEqual(explicit["predicted_correct_fraction"] as? Double, 1)
        XCTAssertEqual(explicit["unseen_accuracy"] as? Double, 1)
        XCTAssertEqual((json["im_rm"] as? [String: Any])?["unseen_accuracy"] as? Double, 0.5)

        // Exported built-in tasks: the single-token one works, the multi-token one is refused clearly.
        let single = folder.appendingPathComponent("single.safetensors").path
        let multi = folder.appendingPathComponent("multi.json").path
        XCTAssertEqual(try CLIHarness.run(["export", "--task", "single-token", "--format", "safetensors",
                                           "--output", single]).exitCode, 0)
        XCTAssertEqual(try CLIHarness.run(["export", "--output", multi]).exitCode, 0)
        XCTAssertEqual(try CLIHarness.run(["theorem2", "--instance", single, "--steps", "10"]).exitCode, 0)
        let refused = try CLIHarness.run(["theorem2", "--instance", multi, "--steps", "10"])
        CLIHarness.assertCleanFailure(refused, mentioning: ["single-token", "analyze"])
        XCTAssertEqual(refused.standardError.split(separator: "\n").count, 1, refused.standardError)
    }

    func testNonSeparableInstanceStillReportsTheImplicitSide() throws {
        let folder = try CLIHarness.temporaryDirectory(for: self)
        let path = try ShiftCommandFixtures.write(ShiftCommandFixtures.nonSeparableJSON, named: "non.json", in: folder)
        let run = try CLIHarness.run(["theorem2", "--instance", path, "--steps", "10", "--json"])
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        let json = try run.jsonObject()
        XCTAssertEqual((json["max_margin"] as? [String: Any])?["separable"] as? Bool, false)
        XCTAssertTrue((json["ex_rm"] as? [String: Any])?["predicted_correct_fraction"] is NSNull)
        XCTAssertEqual((json["im_rm"] as? [String: Any])?["unseen_rows_unchanged"] as? Bool, true)
    }

    func testBadArgumentsFailCleanly() throws {
        CLIHarness.assertCleanFailure(try CLIHarness.run(["theorem2", "--steps", "-1"]), mentioning: ["steps"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["theorem2", "--alignment", "1.5"]), mentioning: ["alignment"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["theorem2", "--im-lr", "0"]), mentioning: ["im-lr"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["theorem2", "--context-noise", "-1"]), mentioning: ["context-noise"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["theorem2", "--instance", "/nonexistent/x.json"]),
                                      mentioning: ["no such file"])
    }
}
