import Foundation
import XCTest

final class DynamicsCommandTests: XCTestCase {
    func testJSONHasCheckpointsPerSetAndAgreement() throws {
        let run = try CLIHarness.run(["dynamics", "--steps", "12", "--json"])
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        let json = try run.jsonObject()
        let checkpoints = try XCTUnwrap(json["checkpoints"] as? [[String: Any]])
        XCTAssertEqual(checkpoints.compactMap { $0["step"] as? Int }, [0, 1, 10, 12])
        let first = checkpoints[0]
        for kind in ["ex_rm", "ex_rm_mean", "im_rm", "im_rm_noref"] {
            let sets = try XCTUnwrap(first[kind] as? [String: [String: Any]], kind)
            XCTAssertEqual(Set(sets.keys), ["train", "test", "paraphrase", "paraphrase_test"])
            XCTAssertNotNil(sets["paraphrase"]?["normalized_margin"] as? Double)
        }
        // At step 0 the head is zero and pi = pi_ref: every reward is 0, every accuracy exactly 1/2.
        let imAtZero = try XCTUnwrap(first["im_rm"] as? [String: [String: Any]])
        XCTAssertEqual(imAtZero["paraphrase"]?["accuracy"] as? Double, 0.5)
        let agreement = try XCTUnwrap(json["agreement"] as? [String: Double])
        XCTAssertLessThan(try XCTUnwrap(agreement["ex_rm"]), 1e-9)
        XCTAssertLessThan(try XCTUnwrap(agreement["im_rm"]), 1e-9)
    }

    func testSameSeedSameOutput() throws {
        let first = try CLIHarness.run(["dynamics", "--steps", "5", "--json", "--seed", "3"])
        let second = try CLIHarness.run(["dynamics", "--steps", "5", "--json", "--seed", "3"])
        let other = try CLIHarness.run(["dynamics", "--steps", "5", "--json", "--seed", "4"])
        XCTAssertEqual(first.standardOutput, second.standardOutput)
        XCTAssertNotEqual(first.standardOutput, other.standardOutput)
    }

    func testBadArgumentsFailCleanly() throws {
        CLIHarness.assertCleanFailure(try CLIHarness.run(["dynamics", "--steps", "-3"]), mentioning: ["steps"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["dynamics", "--alignment", "2"]), mentioning: ["alignment"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["dynamics", "--lr", "abc"]), mentioning: ["lr"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["dynamics", "--beta", "0"]), mentioning: ["beta"])
    }
}
