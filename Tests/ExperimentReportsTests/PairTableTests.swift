import ExperimentReports
import Foundation
import LinearAlgebra
import RewardDynamics
import ShiftAnalysis
import Tasks
import TestSupport
import XCTest

final class PairTableTests: XCTestCase {
    func testBothFormatsRoundTripEveryValue() throws {
        var options = AnalysisOptions()
        options.steps = 3
        let instance = try TokenShiftTask().make()
        var pairs = try RepresentationAnalysis.run(on: instance, options: options).pairs
        // Awkward text and missing figures: a set name with a comma and a quote, a source, no separator.
        let odd = PairPrediction(
            set: "a, \"quoted\" set", index: 7, pair: PreferencePair(chosen: "x,1", rejected: "y\"2"),
            source: PairSource(row: 12, line: 14), responseTokens: 3, unseenTokens: 3, separatorInnerProduct: nil,
            separatorCosine: nil, explicitFirstStep: -1.25e-300, identity: 0, competition: 0, trained: nil)
        pairs.append(odd)
        for format in PairTable.Format.allCases {
            let text = PairTable.render(pairs, format: format)
            let rows = try PairTable.parse(text, format: format)
            XCTAssertEqual(rows.count, pairs.count, "\(format)")
            for (row, pair) in zip(rows, pairs) { XCTAssertEqual(row, PairTable.row(pair), "\(format) \(pair.pair.chosen)") }
            XCTAssertEqual(rows.last?[4], .number(12))
            XCTAssertEqual(rows.last?[10], .null, "no separator: null")
            XCTAssertEqual(rows.last?[17], .null, "I = C = 0: no share")
        }
        XCTAssertEqual(PairTable.Format(path: "out/p.CSV"), .csv)
        XCTAssertEqual(PairTable.Format(path: "p.jsonl"), .jsonl)
        XCTAssertNil(PairTable.Format(path: "p.json"))
        XCTAssertThrowsError(try PairTable.parse("set,index\n", format: .csv))
        XCTAssertThrowsError(try PairTable.parse("{\"set\": 1}\n", format: .jsonl))
    }

    func testTheReportLeadsWithTheWarnings() throws {
        var generator = SeededGenerator(seed: 5)
        let random = try RandomInstance(vocabularySize: 30, hiddenWidth: 64, trainPairs: 8, responseLength: 2,
                                        evaluationPairs: 40).make(using: &generator)
        let report = AnalyzeReport(result: try RepresentationAnalysis.run(on: random), path: "random.json")
        let text = report.terminalText
        let warning = try XCTUnwrap(text.range(of: "! weak_alignment (eval, ex_rm)"))
        let table = try XCTUnwrap(text.range(of: "EX-RM: <u*, zbar>"))
        XCTAssertLessThan(warning.lowerBound, table.lowerBound)
        XCTAssertTrue(text.contains("note: one step only"))
    }
}
