import ExperimentReports
import Experiments
import Foundation
import Reports
import RewardDynamics
import Tasks
import TestSupport
import TheorycheckCore
import XCTest

/// The dynamics presentation without the binary: the three outputs every command ends in.
final class DynamicsReportTests: XCTestCase {
    private func report(steps: Int = 20) throws -> DynamicsReport {
        let task = ShiftFixtures.tokenShift(seed: 3)
        let instance = try task.make()
        let result = try DynamicsExperiment(steps: steps, explicitLearningRate: 0.05, implicitLearningRate: 5)
            .run(on: instance)
        let settings = DynamicsSettings(steps: steps, explicitLearningRate: 0.05, implicitLearningRate: 5,
                                        beta: instance.beta, task: task, instancePath: nil)
        return DynamicsReport(result: result, source: "test task", settings: settings)
    }

    func testTerminalTableShowsEveryMarginAndTheLoss() throws {
        let text = try report().terminalText
        for needle in ["train loss", "norm.m", "mean.m", "EX-RM", "IM-RM (no reference)", "Agreement"] {
            XCTAssertTrue(text.contains(needle), "missing \(needle) in\n\(text)")
        }
        XCTAssertFalse(text.lowercased().contains("nan"), text)
    }

    func testJSONIsSnakeCaseWithTheSignedMarginAndNoNonFiniteValue() throws {
        let report = try report()
        let text = try JSONOutput.encode(report.jsonDocument)
        XCTAssertFalse(text.contains("nan"), text)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let settings = try XCTUnwrap(json["settings"] as? [String: Any])
        XCTAssertEqual(settings["im_lr"] as? Double, 5)
        XCTAssertEqual((settings["task"] as? [String: Any])?["hidden_width"] as? Int, 16)
        let last = try XCTUnwrap((json["checkpoints"] as? [[String: Any]])?.last)
        let metrics = try XCTUnwrap((last["ex_rm"] as? [String: Any])?["train"] as? [String: Any])
        let chosen = try XCTUnwrap(metrics["mean_chosen_reward"] as? Double)
        let rejected = try XCTUnwrap(metrics["mean_rejected_reward"] as? Double)
        // The signed margin is the difference of the means (up to the rounding of two sums).
        XCTAssertEqual(try XCTUnwrap(metrics["mean_margin"] as? Double), chosen - rejected,
                       accuracy: 1e-12 * Swift.max(1.0, abs(chosen)))
        XCTAssertGreaterThan(chosen - rejected, 0, "a trained EX-RM ranks its training pairs the right way on average")
    }

    func testReportNamesItsFiguresAfterTheReportAndCarriesTheCommand() throws {
        let bundle = try XCTUnwrap(try report().reportBundle(reportPath: "out/run7.md", command: "./scripts/theorycheck x"))
        XCTAssertEqual(bundle.figures.map(\.fileName).sorted(),
                       ["run7-accuracy-paraphrase.svg", "run7-accuracy-paraphrase_test.svg", "run7-accuracy-test.svg",
                        "run7-accuracy-train.svg"])
        let markdown = bundle.report.render()
        XCTAssertTrue(markdown.contains("./scripts/theorycheck x"))
        XCTAssertTrue(markdown.contains("mean margin"))
        for figure in bundle.figures { XCTAssertTrue(markdown.contains("(\(figure.fileName))"), figure.fileName) }
    }
}
