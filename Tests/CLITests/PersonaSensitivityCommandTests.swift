import Foundation
import XCTest

/// `theorycheck persona-sensitivity` end to end at the quick sizes, and its refusals.
final class PersonaSensitivityCommandTests: XCTestCase {
    private let quick = ["persona-sensitivity", "--quick", "--seeds", "1", "--pretraining-steps", "0,2", "--epochs", "1,2",
                         "--threads", "1"]

    func testJSONAndReportAreWrittenAndRepeatable() throws {
        let folder = try CLIHarness.temporaryDirectory(for: self)
        let path = folder.appendingPathComponent("persona-sensitivity.md").path
        let run = try CLIHarness.run(quick + ["--json", "--quiet", "--report", path])
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        XCTAssertEqual(run.standardError, "", "--quiet prints no progress")
        let json = try run.jsonObject()
        XCTAssertEqual((json["cells"] as? [Any])?.count, 5 * 2 * 2)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssert(text.contains("./scripts/theorycheck persona-sensitivity --quick --seeds 1"), "the report carries its command")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        XCTAssert(files.contains("persona-sensitivity-stance-gap-centered.svg"), "\(files)")
        let again = try CLIHarness.run(quick + ["--json", "--quiet"])
        XCTAssertEqual(again.standardOutput, run.standardOutput, "same seed, same bytes")
    }

    func testBadOptionsAreRefusedWithASentence() throws {
        let cases: [([String], [String])] = [
            (["--seeds", "0"], ["--seeds", "1...100"]),
            (["--pretraining-steps", "50,0"], ["strictly increasing", "0 follows 50"]),
            (["--pretraining-steps", "a,5"], ["comma-separated whole numbers"]),
            (["--pretraining-steps", "0,200000"], ["0...100000", "200000"]),
            (["--pretraining-steps", ""], ["comma-separated"]),
            (["--epochs", "0,2"], ["1...10000"]),
            (["--epochs", "2,2"], ["strictly increasing"]),
            (["--epochs", (1...13).map(String.init).joined(separator: ",")], ["at most 12"]),
            (["--threads", "0"], ["--threads"]),
            (["--reward-models", "im_rm,dpo"], ["unknown reward model \"dpo\"", "ex_rm"]),
            (["--reward-models", "im_rm,im_rm"], ["twice"]),
        ]
        for (arguments, words) in cases {
            CLIHarness.assertCleanFailure(try CLIHarness.run(["persona-sensitivity"] + arguments), mentioning: words)
        }
    }
}
