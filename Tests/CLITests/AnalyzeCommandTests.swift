import Foundation
import XCTest

final class AnalyzeCommandTests: XCTestCase {
    func testExportedTokenShiftTask() throws {
        let folder = try CLIHarness.temporaryDirectory(for: self)
        let path = folder.appendingPathComponent("task.safetensors").path
        XCTAssertEqual(try CLIHarness.run(["export", "--format", "safetensors", "--output", path]).exitCode, 0)
        let run = try CLIHarness.run(["analyze", "--instance", path, "--json"])
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        let json = try run.jsonObject()
        XCTAssertEqual((json["max_margin"] as? [String: Any])?["separable"] as? Bool, true)
        let sets = try XCTUnwrap(json["sets"] as? [String: [String: Any]])
        XCTAssertEqual(Set(sets.keys), ["train", "test", "paraphrase", "paraphrase_test"])
        let paraphrase = try XCTUnwrap(sets["paraphrase"])
        let unseen = try XCTUnwrap(paraphrase["unseen"] as? [String: Any])
        XCTAssertEqual(unseen["pairs"] as? Int, 40)
        XCTAssertEqual((paraphrase["seen"] as? [String: Any])?["pairs"] as? Int, 0)
        let explicit = try XCTUnwrap(unseen["ex_rm"] as? [String: Any])
        XCTAssertNotNil((explicit["inner_product"] as? [String: Any])?["median"] as? Double)
        XCTAssertNotNil((explicit["cosine"] as? [String: Any])?["q1"] as? Double)
        XCTAssertNotNil(explicit["fraction_positive"] as? Double)
        let implicit = try XCTUnwrap(unseen["im_rm"] as? [String: Any])
        XCTAssertEqual(implicit["mean_token_identity"] as? Double, 0)
        XCTAssertEqual((implicit["token_identity_share"] as? [String: Any])?["max"] as? Double, 0)
        let train = try XCTUnwrap((sets["train"]?["all"] as? [String: Any])?["ex_rm"] as? [String: Any])
        XCTAssertEqual(train["fraction_positive"] as? Double, 1)

        let text = try CLIHarness.run(["analyze", "--instance", path])
        XCTAssertEqual(text.exitCode, 0)
        XCTAssertTrue(text.standardOutput.contains("unseen"), text.standardOutput)
    }

    func testNonSeparableAndBadFiles() throws {
        let folder = try CLIHarness.temporaryDirectory(for: self)
        let path = try ShiftCommandFixtures.write(ShiftCommandFixtures.nonSeparableJSON, named: "non.json", in: folder)
        let run = try CLIHarness.run(["analyze", "--instance", path, "--json"])
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        XCTAssertEqual((try run.jsonObject()["max_margin"] as? [String: Any])?["separable"] as? Bool, false)
        let truncated = folder.appendingPathComponent("truncated.safetensors")
        XCTAssertEqual(try CLIHarness.run(["export", "--format", "safetensors", "--output", truncated.path]).exitCode, 0)
        let bytes = try Data(contentsOf: truncated)
        try bytes.prefix(bytes.count / 2).write(to: truncated)
        let failed = try CLIHarness.run(["analyze", "--instance", truncated.path])
        CLIHarness.assertCleanFailure(failed, mentioning: ["cannot load instance"])
        XCTAssertEqual(failed.standardError.split(separator: "\n").count, 1, failed.standardError)
        CLIHarness.assertCleanFailure(try CLIHarness.run(["analyze"]), mentioning: ["instance"])
    }
}
