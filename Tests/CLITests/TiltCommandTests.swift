import Foundation
import XCTest

final class TiltCommandTests: XCTestCase {
    private func tilt(_ arguments: [String]) throws -> [String: Any] {
        let run = try CLIHarness.run(["tilt"] + arguments + ["--json"])
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        return try run.jsonObject()
    }

    /// The JSON, checked against the closed form computed here from q, delta, beta alone.
    func testMarginIsDeltaAndGenerationFollowsTheClosedForm() throws {
        for (q, delta, beta) in [(1e-6, 5.0, 1.0), (0.3, 0.2, 0.05), (1e-12, 2.0, 0.1)] {
            let json = try tilt(["--q", "\(q)", "--delta", "\(delta)", "--beta", "\(beta)", "--responses", "300",
                                 "--correct", "7", "--seed", "4"])
            let margin = try XCTUnwrap(json["margin"] as? Double)
            let generation = try XCTUnwrap(json["generation_probability"] as? Double)
            let closedForm = try XCTUnwrap(json["closed_form"] as? Double)
            let bound = try XCTUnwrap(json["bound"] as? Double)
            // Rewards are beta times differences of logs of size up to ~30: a few ulps of 30 beta.
            XCTAssertEqual(margin, delta, accuracy: 1e-12, "q = \(q)")
            XCTAssertEqual(try XCTUnwrap(json["margin_max"] as? Double), delta, accuracy: 1e-12)
            let tilted = q * exp(delta / beta)
            let expected = tilted / (1 - q + tilted)
            XCTAssertEqual(closedForm, expected, accuracy: 1e-12 * expected, "q = \(q)")
            XCTAssertEqual(generation, expected, accuracy: 1e-10 * expected, "q = \(q)")
            XCTAssertEqual(bound, tilted, accuracy: 1e-12 * tilted)
            XCTAssertLessThanOrEqual(generation, bound * (1 + 1e-12))
            XCTAssertEqual(try XCTUnwrap(json["reference_mass"] as? Double), q, accuracy: 1e-12 * q)
        }
    }

    func testOverflowingBoundIsNullWithItsReasonAndSameSeedSameOutput() throws {
        let json = try tilt(["--q", "0.1", "--delta", "1000", "--beta", "0.5"])
        XCTAssertTrue(json["bound"] is NSNull, "\(json)")
        XCTAssertEqual(json["bound_overflows"] as? Bool, true)
        XCTAssertEqual(try XCTUnwrap(json["log_bound"] as? Double), 2000 + log(0.1), accuracy: 1e-9)
        XCTAssertEqual(json["closed_form"] as? Double, 1)
        let first = try CLIHarness.run(["tilt", "--q", "0.01", "--delta", "1", "--beta", "1", "--seed", "3", "--json"])
        let second = try CLIHarness.run(["tilt", "--q", "0.01", "--delta", "1", "--beta", "1", "--seed", "3", "--json"])
        XCTAssertEqual(first.standardOutput, second.standardOutput)
    }

    func testHumanReadableOutput() throws {
        let run = try CLIHarness.run(["tilt", "--q", "1e-4", "--delta", "1", "--beta", "0.5"])
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        XCTAssertTrue(run.standardOutput.contains("IM-RM margin"))
        XCTAssertTrue(run.standardOutput.contains("verification without generation"))
    }

    func testBadArgumentsFailCleanly() throws {
        let base = ["tilt", "--delta", "1", "--beta", "1"]
        CLIHarness.assertCleanFailure(try CLIHarness.run(base + ["--q", "0"]), mentioning: ["--q"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(base + ["--q", "1.5"]), mentioning: ["--q"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(base + ["--q", "nan"]), mentioning: ["--q"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(base), mentioning: ["q"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["tilt", "--q", "0.1", "--delta", "-1", "--beta", "1"]),
                                      mentioning: ["--delta"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["tilt", "--q", "0.1", "--delta", "1", "--beta", "0"]),
                                      mentioning: ["--beta"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(base + ["--q", "0.1", "--responses", "5", "--correct", "5"]),
                                      mentioning: ["--correct"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(base + ["--q", "0.1", "--responses", "1"]), mentioning: ["--responses"])
    }
}
