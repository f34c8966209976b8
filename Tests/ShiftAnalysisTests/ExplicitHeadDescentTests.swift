import LinearAlgebra
import RewardDynamics
import ShiftAnalysis
import Tasks
import TestSupport
import XCTest

final class ExplicitHeadDescentTests: XCTestCase {
    func testEqualsTheExplicitRewardModelStepForStep() throws {
        try propertySweep(seeds: 0..<6, shapes: [(V: 20, d: 6, n: 4, L: 2), (V: 30, d: 10, n: 12, L: 1)]) { sweep, shape in
            let instance = try RandomInstance(vocabularySize: shape.V, hiddenWidth: shape.d, trainPairs: shape.n,
                                              responseLength: shape.L).make(using: &sweep.generator)
            let layout = SequenceLayout(instance)
            var model = ExplicitRewardModel(layout: layout, readout: .lastPosition, head: instance.head)
            var descent = ExplicitHeadDescent(differences: PairDifferences.matrix(instance.train, in: instance),
                                              head: instance.head)
            for _ in 0..<40 {
                try model.step(learningRate: 0.7)
                try descent.step(learningRate: 0.7)
            }
            // The two regroup the same sum differently: rounding of O(1) terms over 40 steps.
            assertClose(descent.head, model.head, tolerance: 1e-12)
            XCTAssertEqual(descent.stepsTaken, 40)
        }
    }

    func testLossFallsOnSeparableData() throws {
        try propertySweep(seeds: 0..<6) { sweep in
            let z = GaussianSampling.matrix(rows: 5, columns: 8, using: &sweep.generator)
            var descent = ExplicitHeadDescent(differences: z, head: [Double](repeating: 0, count: 8))
            XCTAssertEqual(descent.loss(), log(2), accuracy: 1e-15)
            var previous = descent.loss()
            for _ in 0..<100 {
                try descent.step(learningRate: 0.2)
                let current = descent.loss()
                XCTAssertLessThan(current, previous)
                previous = current
            }
        }
    }
}
