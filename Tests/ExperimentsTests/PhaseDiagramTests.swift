import Experiments
import RewardDynamics
import ShiftAnalysis
import Tasks
import TestSupport
import XCTest

final class PhaseDiagramTests: XCTestCase {
    private func diagram(earlyStep: Int) -> PhaseDiagram {
        PhaseDiagram(alignments: [0, 1], overlaps: [0, 1], seeds: [0, 1], steps: 3, earlyStep: earlyStep,
                     explicitLearningRate: 0.5, baseTask: ShiftFixtures.tokenShift(seed: 0))
    }

    func testStepZeroIsChanceAndLayoutIsAlignmentMajor() throws {
        let result = try diagram(earlyStep: 0).run()
        XCTAssertEqual(result.earlyStep, 0)
        XCTAssertEqual(result.cells.count, 4)
        XCTAssertEqual(result.cells.map(\.alignment), [0, 0, 1, 1])
        XCTAssertEqual(result.cells.map(\.overlap), [0, 1, 0, 1])
        for cell in result.cells {
            XCTAssertEqual(cell.explicitEarly, 0.5)
            XCTAssertEqual(cell.implicitEarly, 0.5)
            XCTAssertEqual(cell.runs.map(\.seed), [0, 1])
            XCTAssertTrue((0...1).contains(cell.explicitFinal) && (0...1).contains(cell.implicitFinal))
        }
        XCTAssertEqual(result.grid(\.implicitFinal)[1][0], result.cell(alignment: 1, overlap: 0).implicitFinal)
    }

    func testMatchesASingleDynamicsRunAndIsDeterministic() throws {
        let result = try diagram(earlyStep: 1).run()
        var task = ShiftFixtures.tokenShift(seed: 1, alignment: 1, overlap: 0)
        task.seed = 1
        let instance = try task.make()
        let single = try DynamicsExperiment(steps: 3, explicitLearningRate: 0.5, implicitLearningRate: 0.5 / (instance.beta * instance.beta),
                                        kinds: [.explicit, .implicit]).run(on: instance)
        let run = result.cell(alignment: 1, overlap: 0).runs[1]
        let final = single.trajectory.last!
        XCTAssertEqual(run.implicitFinal, final.metrics[.implicit]?["paraphrase"]?.accuracy)
        XCTAssertEqual(run.explicitFinal, final.metrics[.explicit]?["paraphrase"]?.accuracy)
        let again = try diagram(earlyStep: 1).run()
        XCTAssertEqual(again.cells.map(\.implicitFinal), result.cells.map(\.implicitFinal))
        XCTAssertEqual(again.cells.map(\.explicitEarly), result.cells.map(\.explicitEarly))
    }
}
