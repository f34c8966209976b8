import Foundation
import XCTest

final class HamiltonianCommandTests: XCTestCase {
    /// Tiny settings: a run takes about a second in a debug build.
    private let tiny = ["hamiltonian", "--vertices", "4", "--train", "6", "--test", "3", "--width", "8", "--layers", "1",
                        "--heads", "2", "--reference-steps", "2", "--steps", "3", "--batch-size", "3",
                        "--samples-per-graph", "2"]

    func testJSONHasTheIssuesFields() throws {
        let run = try CLIHarness.run(tiny + ["--json"])
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        let json = try run.jsonObject()
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
        let constrained = try CLIHarness.run(tiny + ["--json", "--constrained"]).jsonObject()
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

    func testBadArgumentsFailCleanly() throws {
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
