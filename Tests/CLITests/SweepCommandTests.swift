import Foundation
import XCTest

final class SweepCommandTests: XCTestCase {
    func testSmallGridJSONAndReport() throws {
        let folder = try CLIHarness.temporaryDirectory(for: self)
        let report = folder.appendingPathComponent("phase.md").path
        let run = try CLIHarness.run(["sweep", "--alignments", "0,1", "--overlaps", "0,1", "--seeds", "1",
                                      "--steps", "2", "--early-step", "1", "--json", "--report", report])
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        let json = try run.jsonObject()
        XCTAssertEqual(json["early_step"] as? Int, 1)
        XCTAssertEqual(json["evaluation_set"] as? String, "paraphrase")
        let cells = try XCTUnwrap(json["cells"] as? [[String: Any]])
        XCTAssertEqual(cells.count, 4)
        for cell in cells {
            for key in ["ex_rm_early", "im_rm_early", "ex_rm_final", "im_rm_final"] {
                let value = try XCTUnwrap(cell[key] as? Double, key)
                XCTAssertTrue((0...1).contains(value), key)
            }
        }
        let markdown = try String(contentsOfFile: report, encoding: .utf8)
        XCTAssertTrue(markdown.contains("sweep --alignments 0,1"), markdown)
        for name in ["ex-rm-early", "im-rm-early", "ex-rm-final", "im-rm-final"] {
            XCTAssertTrue(markdown.contains("phase-diagram-\(name).svg"))
            XCTAssertTrue(FileManager.default.fileExists(
                atPath: folder.appendingPathComponent("phase-diagram-\(name).svg").path), name)
        }
    }

    func testBadArgumentsFailCleanly() throws {
        CLIHarness.assertCleanFailure(try CLIHarness.run(["sweep", "--alignments", "0,x"]), mentioning: ["alignments"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["sweep", "--overlaps", "0,2"]), mentioning: ["overlaps"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["sweep", "--seeds", "0"]), mentioning: ["seeds"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["sweep", "--steps", "5", "--early-step", "9"]),
                                      mentioning: ["early-step"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["sweep", "--beta", "-1"]), mentioning: ["beta"])
    }
}
