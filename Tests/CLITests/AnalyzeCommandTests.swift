import Foundation
import InstanceIO
import XCTest

final class AnalyzeCommandTests: XCTestCase {
    func testExportedTokenShiftTask() throws {
        let folder = try CLIHarness.temporaryDirectory(for: self)
        let path = folder.appendingPathComponent("task.safetensors").path
        XCTAssertEqual(try CLIHarness.run(["export", "--format", "safetensors", "--output", path]).exitCode, 0)
        let run = try CLIHarness.run(["analyze", "--instance", path, "--json"])
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        let json = try run.jsonObject()
        XCTAssertEqual((json["max_margin"] as? [String: Any])?["separable"] as? Bool, true)
        let sets = try XCTUnwrap(json["sets"] as? [String: [String: Any]])
        XCTAssertEqual(Set(sets.keys), ["train", "test", "paraphrase", "paraphrase_test"])
        let paraphrase = try XCTUnwrap(sets["paraphrase"])
        let unseen = try XCTUnwrap(paraphrase["unseen"] as? [String: Any])
        XCTAssertEqual(unseen["pairs"] as? Int, 40)
        XCTAssertEqual((paraphrase["seen"] as? [String: Any])?["pairs"] as? Int, 0)
        let explicit = try XCTUnwrap(unseen["ex_rm"] as? [String: Any])
        XCTAssertNotNil((explicit["inner_product"] as? [String: Any])?["median"] as? Double)
        XCTAssertNotNil((explicit["cosine"] as? [String: Any])?["q1"] as? Double)
        XCTAssertNotNil(explicit["fraction_positive"] as? Double)
        let implicit = try XCTUnwrap(unseen["im_rm"] as? [String: Any])
        XCTAssertEqual(implicit["mean_token_identity"] as? Double, 0)
        XCTAssertEqual((implicit["token_identity_share"] as? [String: Any])?["max"] as? Double, 0)
        let train = try XCTUnwrap((sets["train"]?["all"] as? [String: Any])?["ex_rm"] as? [String: Any])
        XCTAssertEqual(train["fraction_positive"] as? Double, 1)

        let text = try CLIHarness.run(["analyze", "--instance", path])
        XCTAssertEqual(text.exitCode, 0)
        XCTAssertTrue(text.standardOutput.contains("unseen"), text.standardOutput)
    }

    func testNonSeparableAndBadFiles() throws {
        let folder = try CLIHarness.temporaryDirectory(for: self)
        let path = try ShiftCommandFixtures.write(ShiftCommandFixtures.nonSeparableJSON, named: "non.json", in: folder)
        let run = try CLIHarness.run(["analyze", "--instance", path, "--json"])
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        XCTAssertEqual((try run.jsonObject()["max_margin"] as? [String: Any])?["separable"] as? Bool, false)
        let truncated = folder.appendingPathComponent("truncated.safetensors")
        XCTAssertEqual(try CLIHarness.run(["export", "--format", "safetensors", "--output", truncated.path]).exitCode, 0)
        let bytes = try Data(contentsOf: truncated)
        try bytes.prefix(bytes.count / 2).write(to: truncated)
        let failed = try CLIHarness.run(["analyze", "--instance", truncated.path])
        CLIHarness.assertCleanFailure(failed, mentioning: ["cannot load instance"])
        XCTAssertEqual(failed.standardError.split(separator: "\n").count, 1, failed.standardError)
        CLIHarness.assertCleanFailure(try CLIHarness.run(["analyze"]), mentioning: ["instance"])
    }
}

final class AnalyzePairsCommandTests: XCTestCase {
    /// The token-shift task as safetensors, with an exporter-style `export` entry naming each pair's row.
    func exportedTask(in folder: URL) throws -> String {
        let plain = folder.appendingPathComponent("plain.safetensors").path
        XCTAssertEqual(try CLIHarness.run(["export", "--format", "safetensors", "--output", plain]).exitCode, 0)
        var file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: plain))
        let instance = try InstanceSafetensors.decode(file)
        var sets: [String: Any] = [:]
        for set in instance.evaluationSets {
            sets[set.name] = set.pairs.enumerated().map { index, pair in
                ["row": index + 1, "line": index + 3, "chosen": pair.chosen, "rejected": pair.rejected] as [String: Any]
            }
        }
        let export: [String: Any] = ["tool": "test", "model": ["name": "tiny-test-model"], "pairs": sets]
        file.metadata["export"] = String(decoding: try JSONSerialization.data(withJSONObject: export), as: UTF8.self)
        let path = folder.appendingPathComponent("task.safetensors").path
        try file.serialized().write(to: URL(fileURLWithPath: path))
        return path
    }

    func testPairsFilesStepsAndProvenance() throws {
        let folder = try CLIHarness.temporaryDirectory(for: self)
        let path = try exportedTask(in: folder)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("out"), withIntermediateDirectories: true)
        let csv = folder.appendingPathComponent("out/pairs.csv").path
        let run = try CLIHarness.run(["analyze", "--instance", path, "--steps", "20", "--pairs", csv, "--json"])
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        XCTAssertTrue(run.standardError.contains("analyze: training steps: 20/20"), run.standardError)
        let json = try run.jsonObject()
        let trust = try XCTUnwrap(json["trust"] as? [String: Any])
        XCTAssertNotNil(trust["warnings"] as? [Any])
        XCTAssertNotNil(trust["trusted"] as? Bool)
        let trained = try XCTUnwrap(json["trained"] as? [String: Any])
        XCTAssertEqual(trained["steps"] as? Int, 20)
        XCTAssertEqual((trained["checkpoints"] as? [Any])?.count, 3)
        let paraphrase = try XCTUnwrap((json["sets"] as? [String: Any])?["paraphrase"] as? [String: Any])
        let bins = try XCTUnwrap(paraphrase["novelty_bins"] as? [[String: Any]])
        XCTAssertEqual(bins.map { $0["bin"] as? String }, ["0", "(0, 0.25]", "(0.25, 0.5]", "(0.5, 0.75]", "(0.75, 1)", "1"])
        XCTAssertEqual(bins.last?["pairs"] as? Int, 40)
        XCTAssertNotNil(((paraphrase["all"] as? [String: Any])?["trained"] as? [String: Any])?["ex_rm"])

        let table = try String(contentsOfFile: csv, encoding: .utf8)
        let lines = table.split(separator: "\n")
        XCTAssertEqual(lines.count, 1 + 40 + 20 + 40 + 20)
        XCTAssertTrue(lines[0].hasPrefix("set,index,chosen_id,rejected_id,source_row,source_line,"))
        XCTAssertTrue(lines[1].hasPrefix("train,0,"), String(lines[1]))
        XCTAssertTrue(lines[1].contains(",1,3,"), "row 1, line 3 from the export metadata: \(lines[1])")

        let jsonl = folder.appendingPathComponent("pairs.jsonl").path
        let text = try CLIHarness.run(["analyze", "--instance", path, "--pairs", jsonl, "--quiet"])
        XCTAssertEqual(text.exitCode, 0, text.standardError)
        XCTAssertEqual(text.standardError, "")
        XCTAssertTrue(text.standardOutput.contains("(model tiny-test-model)"))
        XCTAssertTrue(text.standardOutput.contains("note: one step only"))
        let first = try XCTUnwrap(try String(contentsOfFile: jsonl, encoding: .utf8).split(separator: "\n").first)
        let row = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any])
        XCTAssertEqual(row["source_row"] as? Int, 1)
        XCTAssertTrue(row["ex_rm_margin"] is NSNull)
    }

    func testBadPairsPathsAreRefused() throws {
        let folder = try CLIHarness.temporaryDirectory(for: self)
        let path = try exportedTask(in: folder)
        CLIHarness.assertCleanFailure(try CLIHarness.run(["analyze", "--instance", path, "--pairs", "x.json"]),
                                      mentioning: [".jsonl or a .csv"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["analyze", "--instance", path, "--steps", "-1"]),
                                      mentioning: ["--steps"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["analyze", "--instance", path, "--lr", "0"]),
                                      mentioning: ["--lr"])
        let blocked = folder.appendingPathComponent("file").path
        try Data().write(to: URL(fileURLWithPath: blocked))
        CLIHarness.assertCleanFailure(
            try CLIHarness.run(["analyze", "--instance", path, "--pairs", blocked + "/p.csv", "--quiet"]),
            mentioning: ["cannot write"])
    }
}
