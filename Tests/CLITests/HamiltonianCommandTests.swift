import Foundation
import XCTest

final class HamiltonianCommandTests: XCTestCase {
    /// Tiny settings: a run takes about a second in a debug build.
    private let tiny = ["hamiltonian", "--vertices", "4", "--train", "6", "--test", "3", "--width", "8", "--layers", "1",
                        "--heads", "2", "--reference-steps", "2", "--steps", "3", "--batch-size", "3",
                        "--samples-per-graph", "2", "--seeds", "1", "--lookup-steps", "2", "--validation", "0"]

    func testJSONHasTheIssuesFields() throws {
        let run = try CLIHarness.run(tiny + ["--json"])
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        let json = try XCTUnwrap((try run.jsonObject()["runs"] as? [[String: Any]])?.first)
        for key in ["im_rm", "ex_rm"] {
            let outcome = try XCTUnwrap(json[key] as? [String: Any], key)
            let train = try XCTUnwrap(outcome["train_accuracy"] as? Double, key)
            let test = try XCTUnwrap(outcome["test_accuracy"] as? Double, key)
            XCTAssert((0...1).contains(train) && (0...1).contains(test))
        }
        let implicit = try XCTUnwrap(json["im_rm"] as? [String: Any])
        let generation = try XCTUnwrap(implicit["generation_valid_fraction"] as? [String: Double])
        XCTAssert((0...1).contains(try XCTUnwrap(generation["before"])))
        XCTAssert((0...1).contains(try XCTUnwrap(generation["after"])))
        let sampled = try XCTUnwrap(implicit["generation_after"] as? [String: Any])
        XCTAssertEqual(sampled["samples"] as? Int, 6)
        XCTAssertNotNil(json["random_permutation_chance"] as? Double)
    }

    func testSameSeedSameOutputAndConstrainedDecodingGivesPermutations() throws {
        let first = try CLIHarness.run(tiny + ["--json", "--seed", "2"])
        let second = try CLIHarness.run(tiny + ["--json", "--seed", "2"])
        XCTAssertEqual(first.exitCode, 0, first.standardError)
        XCTAssertEqual(first.standardOutput, second.standardOutput)
        let constrainedRun = try CLIHarness.run(tiny + ["--json", "--constrained"]).jsonObject()
        let constrained = try XCTUnwrap((constrainedRun["runs"] as? [[String: Any]])?.first)
        let implicit = try XCTUnwrap(constrained["im_rm"] as? [String: Any])
        let after = try XCTUnwrap(implicit["generation_after"] as? [String: Any])
        XCTAssertEqual(after["permutation_fraction"] as? Double, 1)
    }

    func testReportIsWrittenWithItsCommandAndThePapersFigures() throws {
        let folder = try CLIHarness.temporaryDirectory(for: self)
        let path = folder.appendingPathComponent("hamiltonian.md").path
        let run = try CLIHarness.run(tiny + ["--report", path])
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        XCTAssertTrue(run.standardOutput.contains("IM-RM"), "the terminal table is still printed")
        let report = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(report.contains("./scripts/theorycheck hamiltonian --vertices 4"), "the regenerating command")
        XCTAssertTrue(report.contains("0.993"))
        XCTAssertTrue(report.contains("| IM-RM"))
        XCTAssertFalse(report.contains(" s\n"), "no runtime in the report body")
    }

    func testSeedsValidationAndTheEXRMsOwnSettingsReachTheRun() throws {
        let run = try CLIHarness.run(tiny + ["--json", "--seeds", "2", "--seed", "4", "--train", "20", "--validation", "5",
                                             "--ex-steps", "5", "--ex-lr", "0.01", "--schedule", "cosine", "--warmup", "0.2",
                                             "--prompt-format", "both-directions"])
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        XCTAssertFalse(run.standardOutput.contains("nan"))
        let json = try run.jsonObject()
        let runs = try XCTUnwrap(json["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.count, 2)
        let seeds = runs.compactMap { ($0["config"] as? [String: Any])?["seed"] as? Int }
        XCTAssertEqual(seeds, [4, 5])
        XCTAssertEqual(runs[0]["validation_graphs"] as? Int, 5)
        let config = try XCTUnwrap(json["config"] as? [String: Any])
        XCTAssertEqual(config["prompt_format"] as? String, "both-directions")
        let explicit = try XCTUnwrap(config["ex_rm_training"] as? [String: Any])
        XCTAssertEqual(explicit["steps"] as? Int, 5)
        XCTAssertEqual((explicit["adam"] as? [String: Any])?["learning_rate"] as? Double, 0.01)
        let exOutcome = try XCTUnwrap(runs[0]["ex_rm"] as? [String: Any])
        XCTAssertEqual((exOutcome["loss_by_tenth"] as? [Double])?.count, 5)
        let spread = try XCTUnwrap(json["im_rm_validation_accuracy"] as? [String: Any])
        XCTAssertEqual((spread["per_seed"] as? [Double])?.count, 2)
        XCTAssertNotNil(spread["sd"] as? Double)
    }

    func testTheReportShowsEverySeedAndDrawsItsFigures() throws {
        let folder = try CLIHarness.temporaryDirectory(for: self)
        let path = folder.appendingPathComponent("ham.md").path
        let run = try CLIHarness.run(tiny + ["--report", path, "--seeds", "2"])
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        let report = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(report.contains("±"), "means come with their sd")
        XCTAssertTrue(report.contains("| 0 ") && report.contains("| 1 "), "a row per seed")
        for figure in ["ham-loss.svg", "ham-accuracy.svg"] {
            XCTAssertTrue(report.contains(figure))
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent(figure).path), figure)
        }
    }

    func testBadArgumentsFailCleanly() throws {
        CLIHarness.assertCleanFailure(try CLIHarness.run(["hamiltonian", "--seeds", "0"]), mentioning: ["--seeds"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["hamiltonian", "--train", "10", "--validation", "10"]),
                                      mentioning: ["--validation"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["hamiltonian", "--warmup", "1"]), mentioning: ["--warmup"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["hamiltonian", "--ex-lr", "0"]), mentioning: ["--ex-lr"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["hamiltonian", "--schedule", "linear"]), mentioning: ["schedule"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["hamiltonian", "--preset", "huge"]), mentioning: ["preset"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["hamiltonian", "--vertices", "2"]), mentioning: ["--vertices"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["hamiltonian", "--edge-probability", "1"]),
                                      mentioning: ["--edge-probability"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["hamiltonian", "--width", "10", "--heads", "4"]),
                                      mentioning: ["--width"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["hamiltonian", "--temperature", "0"]), mentioning: ["--temperature"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["hamiltonian", "--steps", "x"]), mentioning: ["steps"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["hamiltonian", "--train", "0"]), mentioning: ["--train"])
    }
}
