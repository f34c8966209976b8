import Foundation
import XCTest

/// `theorycheck bench` end to end at the small size only (milliseconds per step). Timings are never
/// asserted: the machine is shared. Only the report's shape and the positivity of its figures are.
final class BenchCommandTests: XCTestCase {
    func testSmallSizeJSONHasEveryCaseWithPositiveFigures() throws {
        // The tiny-LM steps are left out here: in a debug build they take a minute.
        let run = try CLIHarness.run(["bench", "--sizes", "small", "--repeats", "1", "--json", "--no-tiny-lm", "--no-dynamics-headline"])
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        let json = try run.jsonObject()
        XCTAssertGreaterThan(try XCTUnwrap(json["dgemm_gflops"] as? Double), 0)
        let cases = try XCTUnwrap(json["cases"] as? [[String: Any]])
        XCTAssertEqual(Set(cases.compactMap { $0["rm"] as? String }),
                       ["im_rm", "im_rm_function_space", "ex_rm", "ex_rm_function_space"])
        for entry in cases {
            let name = entry["rm"] as? String ?? "?"
            XCTAssertEqual(entry["vocabulary_size"] as? Int, 512, name)
            XCTAssertEqual(entry["hidden_width"] as? Int, 64, name)
            XCTAssertEqual(entry["train_pairs"] as? Int, 64, name)
            XCTAssertEqual(entry["response_length"] as? Int, 4, name)
            for key in ["seconds_per_step", "gflops", "dgemm_gflops", "ratio_to_dgemm", "flops_per_step"] {
                let value = try XCTUnwrap(entry[key] as? Double, "\(name): \(key) missing")
                XCTAssertTrue(value > 0 && value.isFinite, "\(name): \(key) = \(value)")
            }
        }
    }

    func testBadArgumentsFailCleanly() throws {
        CLIHarness.assertCleanFailure(try CLIHarness.run(["bench", "--sizes", "huge"]), mentioning: ["sizes", "huge"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["bench", "--repeats", "0"]), mentioning: ["repeats"])
    }

    func testPhasesPrintJSONWithJSON() throws {
        let run = try CLIHarness.run(["bench", "--phases", "--sizes", "small", "--repeats", "1", "--json"])
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        let phases = try XCTUnwrap(try run.jsonObject()["phases"] as? [[String: Any]])
        XCTAssertEqual(phases.count, 1)
        let timings = try XCTUnwrap(phases[0]["timings"] as? [String: Double])
        for key in ["step_seconds", "logits_seconds", "update_seconds"] {
            let value = try XCTUnwrap(timings[key], key)
            XCTAssertTrue(value > 0 && value.isFinite, "\(key) = \(value)")
        }
    }
}
