import Foundation
import XCTest

final class MaxMarginCommandTests: XCTestCase {
    func testSeparableHandMadeInstance() throws {
        let folder = try CLIHarness.temporaryDirectory(for: self)
        let path = try ShiftCommandFixtures.write(ShiftCommandFixtures.separableJSON, named: "sep.json", in: folder)
        for method in ["minimumNormPoint", "goldfarbIdnani"] {
            let run = try CLIHarness.run(["maxmargin", "--instance", path, "--json", "--method", method])
            XCTAssertEqual(run.exitCode, 0, run.standardError)
            let json = try run.jsonObject()
            XCTAssertEqual(json["separable"] as? Bool, true)
            let separator = try XCTUnwrap(json["separator"] as? [Double])
            XCTAssertEqual(separator.count, 2)
            XCTAssertEqual(separator[0], 0.5, accuracy: 1e-12)
            XCTAssertEqual(separator[1], 1, accuracy: 1e-12)
            XCTAssertEqual(try XCTUnwrap(json["margin"] as? Double), 2 / 5.0.squareRoot(), accuracy: 1e-12)
            XCTAssertEqual(json["support"] as? [Int], [0, 1])
        }
        let text = try CLIHarness.run(["maxmargin", "--instance", path])
        XCTAssertEqual(text.exitCode, 0)
        XCTAssertTrue(text.standardOutput.contains("Separable"), text.standardOutput)
    }

    func testNonSeparableIsReportedWithExitZero() throws {
        let folder = try CLIHarness.temporaryDirectory(for: self)
        let path = try ShiftCommandFixtures.write(ShiftCommandFixtures.nonSeparableJSON, named: "non.json", in: folder)
        let run = try CLIHarness.run(["maxmargin", "--instance", path, "--json"])
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        let json = try run.jsonObject()
        XCTAssertEqual(json["separable"] as? Bool, false)
        XCTAssertNil(json["separator"])
        XCTAssertEqual(json["support"] as? [Int], [0, 1])
        let text = try CLIHarness.run(["maxmargin", "--instance", path])
        XCTAssertTrue(text.standardOutput.contains("Not separable"), text.standardOutput)
    }

    func testBadInputFailsCleanly() throws {
        let folder = try CLIHarness.temporaryDirectory(for: self)
        let broken = try ShiftCommandFixtures.write("{ \"beta\": 0.5, ", named: "broken.json", in: folder)
        let garbage = try ShiftCommandFixtures.write("\u{1}\u{2}not an instance", named: "garbage.bin", in: folder)
        for path in [broken, garbage, folder.appendingPathComponent("missing.json").path] {
            let run = try CLIHarness.run(["maxmargin", "--instance", path])
            CLIHarness.assertCleanFailure(run, mentioning: ["cannot load instance"])
            XCTAssertEqual(run.standardError.split(separator: "\n").count, 1, run.standardError)
        }
        CLIHarness.assertCleanFailure(try CLIHarness.run(["maxmargin"]), mentioning: ["instance"])
        let path = try ShiftCommandFixtures.write(ShiftCommandFixtures.separableJSON, named: "sep.json", in: folder)
        CLIHarness.assertCleanFailure(try CLIHarness.run(["maxmargin", "--instance", path, "--method", "qp"]),
                                      mentioning: ["method"])
    }
}
