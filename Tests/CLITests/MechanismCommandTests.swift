import Foundation
import XCTest

/// `theorycheck mechanism`, end to end at the test size (`--quick`: d = 8, 1 layer).
final class MechanismCommandTests: XCTestCase {
    func testJSONAndReport() throws {
        let folder = try CLIHarness.temporaryDirectory(for: self)
        let path = folder.appendingPathComponent("mechanism.md").path
        let run = try CLIHarness.run(["mechanism", "--quick", "--steps", "2", "--seeds", "2", "--seed", "4", "--threads", "1",
                                      "--json", "--report", path])
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        let document = try run.jsonObject()
        XCTAssertEqual(Set(document.keys), ["seeds", "summary", "per_seed"])
        XCTAssertEqual(document["seeds"] as? [Int], [4, 5])
        let perSeed = try XCTUnwrap(document["per_seed"] as? [[String: Any]])
        XCTAssertEqual(perSeed.count, 2)
        XCTAssertEqual(perSeed.compactMap { ($0["configuration"] as? [String: Any])?["seed"] as? Int }, [4, 5])
        // The summary is the spread of the per-seed figures.
        let summary = try XCTUnwrap(document["summary"] as? [String: [String: Any]])
        XCTAssertEqual(Set(summary.keys), ["ex_rm", "im_rm"])
        let sets = try XCTUnwrap(summary["im_rm"]?["sets"] as? [String: [String: Any]])
        let accuracy = try XCTUnwrap(sets["paraphrase"]?["accuracy"] as? [String: Any])
        let values = try XCTUnwrap(accuracy["per_seed"] as? [Double])
        XCTAssertEqual(values.count, 2)
        XCTAssertEqual(try XCTUnwrap(accuracy["mean"] as? Double), (values[0] + values[1]) / 2, accuracy: 1e-12)
        let json = perSeed[0]
        XCTAssertEqual(Set(json.keys), ["configuration", "pretraining", "pair_counts", "shared_tokens", "runs"])
        let runs = try XCTUnwrap(json["runs"] as? [String: [String: Any]])
        XCTAssertEqual(Set(runs.keys), ["ex_rm", "im_rm"])
        let checkpoints = try XCTUnwrap(runs["im_rm"]?["checkpoints"] as? [[String: Any]])
        XCTAssertEqual(checkpoints.compactMap { $0["step"] as? Int }, [0, 1, 2])
        let change = try XCTUnwrap(checkpoints[2]["step_change"] as? [String: [String: Any]])
        XCTAssertEqual(Set(change.keys), ["train", "test", "paraphrase", "paraphrase_test"])
        let parts = try XCTUnwrap(change["paraphrase"]?["parts"] as? [String: Double])
        XCTAssertEqual(Set(parts.keys), ["token_identity", "readout_competition", "backbone_same_token",
                                         "backbone_cross_token", "backbone_competition"])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssert(text.contains("theorycheck mechanism --quick --steps 2"), "the report carries its command")
        XCTAssert(text.contains("What seed 4 shows") && text.contains("What seed 5 shows"), "findings per seed")
        XCTAssert(text.contains(" ± "), "figures as mean ± sd")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        for name in ["mechanism-im-rm-cumulative.svg", "mechanism-ex-rm-step.svg", "mechanism-kernel-drift.svg"] {
            XCTAssert(files.contains(name), "\(name) missing: \(files)")
        }
    }

    func testOutOfRangeOptionsFailCleanly() throws {
        CLIHarness.assertCleanFailure(try CLIHarness.run(["mechanism", "--steps", "-1"]), mentioning: ["--steps"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["mechanism", "--steps", "999999"]), mentioning: ["--steps", "5000"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["mechanism", "--lr", "0"]), mentioning: ["--lr"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["mechanism", "--lr", "1e9"]), mentioning: ["--lr", "100"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["mechanism", "--seed", "-3"]), mentioning: ["--seed"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["mechanism", "--models", "ex_grm"]), mentioning: ["ex_grm", "Bradley-Terry"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["mechanism", "--threads", "0"]), mentioning: ["--threads"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["mechanism", "--seeds", "0"]), mentioning: ["--seeds"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["mechanism", "--seeds", "21"]), mentioning: ["--seeds", "20"])
    }
}
