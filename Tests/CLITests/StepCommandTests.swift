import Foundation
import InstanceIO
import LinearAlgebra
import RewardDynamics
import Tasks
import XCTest

final class StepCommandTests: XCTestCase {
    /// A small random instance written as JSON into a temporary folder.
    private func instanceFile(seed: UInt64) throws -> URL {
        var generator = SeededGenerator(seed: seed)
        let instance = try RandomInstance(vocabularySize: 9, hiddenWidth: 4, trainPairs: 3, responseLength: 2,
                                          evaluationPairs: 2, beta: 0.5, unembeddingScale: 2)
            .make(using: &generator)
        let url = try CLIHarness.temporaryDirectory(for: self).appendingPathComponent("instance.json")
        try InstanceJSON.encode(instance).write(to: url)
        return url
    }

    func testStepJSONSplitsThePredictionAndMatchesTheExactStep() throws {
        let file = try instanceFile(seed: 1)
        let run = try CLIHarness.run(["step", "--instance", file.path, "--eta", "0.01", "--json"])
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        let json = try run.jsonObject()
        let sequences = try XCTUnwrap(json["sequences"] as? [String: [String: [String: Double]]])
        XCTAssertEqual(sequences.count, 10)
        var largestIMChange = 0.0
        for (id, entry) in sequences {
            let explicit = try XCTUnwrap(entry["ex_rm"], id)
            let implicit = try XCTUnwrap(entry["im_rm"], id)
            // EX-RM: the closed form is the step itself, to rounding.
            XCTAssertEqual(explicit["exact_delta"]!, explicit["predicted_delta"]!, accuracy: 1e-12, id)
            // IM-RM: the two parts add up to the prediction ...
            XCTAssertEqual(implicit["token_identity_part"]! + implicit["competition_part"]!,
                           implicit["predicted_delta"]!, accuracy: 1e-15, id)
            // ... which is first order: at eta = 0.01 its error is about 1% of the change or less.
            let exact = implicit["exact_delta"]!
            XCTAssertEqual(implicit["predicted_delta"]!, exact, accuracy: 0.05 * abs(exact) + 1e-12, id)
            // pi_ref is frozen, so the change of ln pi is the reward change over beta.
            XCTAssertEqual(implicit["delta_log_prob"]!, exact / 0.5, accuracy: 1e-12, id)
            XCTAssertEqual(implicit["reward"]!, 0, "IM-RM rewards start at exactly 0")
            largestIMChange = max(largestIMChange, abs(exact))
        }
        XCTAssertGreaterThan(largestIMChange, 0)
    }

    func testMissingOrBadInstanceFailsCleanly() throws {
        CLIHarness.assertCleanFailure(try CLIHarness.run(["step"]), mentioning: ["--instance"])
        CLIHarness.assertCleanFailure(try CLIHarness.run(["step", "--instance", "/nonexistent/file.json"]),
                                      mentioning: ["/nonexistent/file.json"])
        let folder = try CLIHarness.temporaryDirectory(for: self)
        let bad = folder.appendingPathComponent("bad.json")
        try Data(#"{"beta": "high"}"#.utf8).write(to: bad)
        CLIHarness.assertCleanFailure(try CLIHarness.run(["step", "--instance", bad.path]), mentioning: ["beta"])
        let file = try instanceFile(seed: 2)
        CLIHarness.assertCleanFailure(try CLIHarness.run(["step", "--instance", file.path, "--eta", "-1"]),
                                      mentioning: ["eta"])
    }

    func testDynamicsRunsOnAnInstanceFileAndWritesAReport() throws {
        let file = try instanceFile(seed: 3)
        let folder = try CLIHarness.temporaryDirectory(for: self)
        let report = folder.appendingPathComponent("run.md")
        let run = try CLIHarness.run(["dynamics", "--instance", file.path, "--steps", "20", "--report", report.path, "--json"])
        XCTAssertEqual(run.exitCode, 0, run.standardError)
        let json = try run.jsonObject()
        XCTAssertEqual(json["evaluation_sets"] as? [String], ["eval"])
        let text = try String(contentsOf: report, encoding: .utf8)
        XCTAssertTrue(text.contains("theorycheck dynamics --instance \(file.path) --steps 20 --report \(report.path) --json"),
                      "the report names the command that regenerates it")
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("run-accuracy-eval.svg").path))
        CLIHarness.assertCleanFailure(
            try CLIHarness.run(["dynamics", "--instance", file.path, "--alignment", "0.5"]), mentioning: ["--instance"])
    }

    func testReportToAnUnwritablePlaceFailsWithoutHalfWrittenFiles() throws {
        let folder = try CLIHarness.temporaryDirectory(for: self)
        let blocker = folder.appendingPathComponent("file")
        try Data("x".utf8).write(to: blocker)
        let run = try CLIHarness.run(["dynamics", "--steps", "2", "--report", blocker.appendingPathComponent("r.md").path])
        CLIHarness.assertCleanFailure(run, mentioning: ["report"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["file"])
    }
}
