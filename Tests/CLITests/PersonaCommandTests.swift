import Foundation
import XCTest

/// `theorycheck persona` and `theorycheck dynamics --model tiny-lm`, end to end at test sizes.
final class PersonaCommandTests: XCTestCase {
    private let tinyPersona = ["persona", "--seeds", "1", "--epochs", "1", "--width", "8", "--layers", "1", "--heads", "2",
                               "--pretraining-steps", "3", "--train-statements", "3", "--test-statements", "2",
                               "--pairs-per-statement", "1", "--batch-size", "2", "--threads", "1"]

    func testPersonaJSONHasTheIssuesShape() throws {
        let run = try CLIHarness.run(tinyPersona + ["--json"])
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        let json = try run.jsonObject()
        XCTAssertEqual(Set(json.keys), ["ex_rm", "ex_rm_mean", "im_rm", "im_rm_noref", "ex_grm"])
        for (_, value) in json {
            let sets = try XCTUnwrap(value as? [String: [String: [String: Double]]])
            XCTAssertEqual(Set(sets.keys), ["train", "test", "paraphrase", "paraphrase_test"])
            for (_, metrics) in sets {
                XCTAssertEqual(Set(metrics.keys), ["accuracy", "normalized_margin", "mean_margin"])
                XCTAssertEqual(Set(metrics["accuracy"]!.keys), ["mean", "sd"])
            }
        }
    }

    func testPersonaReportWritesMarkdownAndPlots() throws {
        let folder = try CLIHarness.temporaryDirectory(for: self)
        let path = folder.appendingPathComponent("persona.md").path
        let run = try CLIHarness.run(tinyPersona + ["--report", path])
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssert(text.contains("theorycheck persona --seeds 1 --epochs 1"), "the report carries its command")
        XCTAssert(text.contains("(paper 0.022)"))
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        XCTAssert(files.contains("persona-accuracy-paraphrase.svg"), "\(files)")
        XCTAssert(run.standardOutput.contains("EX-GRM"))
    }

    func testPersonaBadSettingsFailCleanly() throws {
        CLIHarness.assertCleanFailure(try CLIHarness.run(["persona", "--context", "10"]), mentioning: ["context length 10"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["persona", "--width", "0"]), mentioning: ["width"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["persona", "--seeds", "0"]), mentioning: ["seeds"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["persona", "--heads", "3"]), mentioning: ["heads"])
    }

    func testDynamicsOnTinyLanguageModelsPrintsPredictions() throws {
        let folder = try CLIHarness.temporaryDirectory(for: self)
        let path = folder.appendingPathComponent("tiny-lm-dynamics.md").path
        let run = try CLIHarness.run(["dynamics", "--model", "tiny-lm-quick", "--steps", "2", "--seeds", "2", "--json",
                                      "--report", path])
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        let document = try run.jsonObject()
        XCTAssertEqual(Set(document.keys), ["seeds", "prediction", "accuracy", "per_seed"])
        XCTAssertEqual(document["seeds"] as? [Int], [0, 1])
        let perSeed = try XCTUnwrap(document["per_seed"] as? [[String: Any]])
        XCTAssertEqual(perSeed.count, 2)
        // The summary's spread is over the per-seed medians.
        let summary = try XCTUnwrap(document["prediction"] as? [String: [String: [String: [String: Any]]]])
        let ntk = try XCTUnwrap(summary["im_rm"]?["ntk"]?["relative_error"])
        let medians = try perSeed.map { seed -> Double in
            let prediction = try XCTUnwrap(seed["prediction"] as? [String: [String: [String: Double]]])
            return try XCTUnwrap(prediction["im_rm"]?["ntk"]?["relative_error"])
        }
        XCTAssertEqual(ntk["per_seed"] as? [Double], medians)
        XCTAssertEqual(try XCTUnwrap(ntk["mean"] as? Double), (medians[0] + medians[1]) / 2, accuracy: 1e-12 * abs(medians[0] + medians[1]))
        XCTAssertNotEqual(medians[0], medians[1], "two seeds are two different runs")
        let json = perSeed[0]
        let prediction = try XCTUnwrap(json["prediction"] as? [String: [String: [String: Any]]])
        XCTAssertEqual(Set(prediction.keys), ["ex_rm", "ex_rm_mean", "im_rm", "im_rm_noref", "ex_grm"])
        for (_, entry) in prediction {
            XCTAssertEqual(Set(entry.keys), ["assumption1", "ntk"])
            XCTAssertNotNil(entry["ntk"]?["relative_error"])
            XCTAssertNotNil(entry["assumption1"]?["correlation"])
        }
        let checkpoints = try XCTUnwrap(json["checkpoints"] as? [[String: Any]])
        XCTAssertEqual(checkpoints.compactMap { $0["step"] as? Int }, [0, 1, 2])
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        XCTAssert(files.contains("tiny-lm-dynamics-scatter-im-rm.svg"), "\(files)")
        CLIHarness.assertCleanFailure(try CLIHarness.run(["dynamics", "--model", "gpt"]), mentioning: ["--model"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["dynamics", "--seeds", "3"]), mentioning: ["--seeds", "--model"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["dynamics", "--model", "tiny-lm-quick", "--seeds", "0"]),
                                      mentioning: ["--seeds"])
    }
}
