import ExperimentReports
import Experiments
import Foundation
import Reports
import TheorycheckCore
import TinyLM
import XCTest

/// The persona-sensitivity presentation without the binary: terminal text, JSON and report shapes.
final class PersonaSensitivityReportTests: XCTestCase {
    private static let result: Result<PersonaSensitivityResult, Error> = Result {
        try PersonaSensitivityExperiment(configuration: .quick, grammar: Grammar.agreeableness()).run()
    }

    private func report() throws -> PersonaSensitivityReport {
        PersonaSensitivityReport(result: try Self.result.get())
    }

    func testJSONHasEveryCellAndBackboneAndNoNonFiniteValue() throws {
        let text = try JSONOutput.encode(try report().jsonDocument)
        XCTAssertFalse(text.lowercased().contains("nan"), text)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        XCTAssertEqual(Set(json.keys), ["configuration", "pair_counts", "steps_per_epoch", "backbones", "cells", "readings"])
        let cells = try XCTUnwrap(json["cells"] as? [[String: Any]])
        // 5 reward models x 2 pretraining lengths x epochs 1 and 2.
        XCTAssertEqual(cells.count, 5 * 2 * 2)
        let cell = cells[0]
        XCTAssertEqual(Set(cell.keys), ["rm_type", "pretraining_steps", "epochs", "accuracy", "training_loss", "on_grid"])
        let accuracy = try XCTUnwrap(cell["accuracy"] as? [String: [String: Any]])
        XCTAssertEqual(Set(accuracy.keys), Set(PersonaDataset.setNames))
        XCTAssertEqual(Set(accuracy["paraphrase"]!.keys), ["mean", "sd", "min", "max", "per_seed"])
        XCTAssertEqual((accuracy["paraphrase"]!["per_seed"] as? [Double])?.count, PersonaConfiguration.quick.seeds.count)
        let backbones = try XCTUnwrap(json["backbones"] as? [[String: Any]])
        XCTAssertEqual(backbones.map { $0["pretraining_steps"] as? Int }, [0, 3])
        let similarity = try XCTUnwrap(backbones[0]["similarity"] as? [String: [String: Any]])
        XCTAssertEqual(Set(similarity.keys), Set(RepresentationSimilarity.views.map(\.name)))
        XCTAssertEqual(Set(similarity["answer"]!.keys), ["raw", "centered"])
        let centered = try XCTUnwrap(similarity["answer"]!["centered"] as? [String: Any])
        XCTAssertEqual(Set(centered.keys), ["same_stance", "opposite_stance", "stance_gap", "agree_versus_disagree"])
        XCTAssertFalse((json["readings"] as? [String] ?? []).isEmpty)
        // The printed configuration shows the lengths the study used, not the Persona defaults it replaced.
        let base = try XCTUnwrap((json["configuration"] as? [String: Any])?["base"] as? [String: Any])
        XCTAssertEqual(base["epochs"] as? Int, 2)
        XCTAssertEqual((base["pretraining"] as? [String: Any])?["steps"] as? Int, 3)
    }

    func testTerminalTextAndReportCarryTheTablesFiguresAndCommand() throws {
        let report = try report()
        let text = report.terminalText
        for needle in ["paraphrases, train prompts", "paraphrases, test prompts", "IM-RM", "EX-GRM", "Readings:", "stance"] {
            XCTAssertTrue(text.contains(needle), "missing \(needle)")
        }
        XCTAssertFalse(text.contains("NaN") || text.contains("nan "), text)
        let bundle = try XCTUnwrap(try report.reportBundle(reportPath: "out/sens.md", command: "./scripts/theorycheck persona-sensitivity x"))
        let markdown = bundle.report.render()
        XCTAssertTrue(markdown.contains("./scripts/theorycheck persona-sensitivity x"))
        XCTAssertLessThan(markdown.range(of: "Regenerate this report")!.lowerBound, markdown.range(of: "## Readings")!.lowerBound,
                          "the command comes first")
        XCTAssertTrue(markdown.contains("Only 2 seed(s)"), "a run with fewer than 3 seeds says so")
        XCTAssertFalse(markdown.contains("NaN"))
        XCTAssert(bundle.figures.allSatisfy { $0.fileName.hasPrefix("sens-") && $0.fileName.hasSuffix(".svg") })
        XCTAssert(bundle.figures.contains { $0.fileName == "sens-epochs-im-rm.svg" })
        XCTAssert(bundle.figures.contains { $0.fileName == "sens-stance-gap-centered.svg" })
        for figure in bundle.figures {
            XCTAssertTrue(markdown.contains("(\(figure.fileName))"), figure.fileName)
            XCTAssertFalse(figure.svg.contains("NaN"), figure.fileName)
        }
        XCTAssertEqual(markdown, try XCTUnwrap(try report.reportBundle(reportPath: "out/sens.md", command: "./scripts/theorycheck persona-sensitivity x")).report.render(),
                       "the same result renders to the same bytes")
    }
}
