import Experiments
import LinearAlgebra
import RewardDynamics
import ShiftAnalysis
import Tasks
import TestSupport
import XCTest

/// Theorem 2's models, the phase diagram and the statistics they report under divergence.
final class ShiftDivergenceTests: XCTestCase {

    func testTheorem2RefusesAnInfiniteDefaultRateAndStopsADivergingHead() throws {
        let instance = try ShiftFixtures.singleToken(seed: 0, alignment: 0.9)
        let tiny = expectDivergence {
            _ = try Theorem2Experiment(steps: 50, explicitLearningRate: 0.5, implicitLearningRate: 0.5 / (1e-200 * 1e-200))
                .run(on: instance)
        }
        XCTAssertEqual(tiny?.quantity, .learningRate)
        XCTAssertEqual(tiny?.cause, .learningRateTooLarge(.infinity), "this instance's beta is fine, so the rate is blamed")
        // A merely huge rate saturates the logistic loss; with prompts of size 1e3 a rate of 1e306
        // makes the first update overflow.
        let large = try ShiftFixtures.scaled(instance, by: 1e3)
        let head = expectDivergence {
            _ = try Theorem2Experiment(steps: 50, explicitLearningRate: 1e306, implicitLearningRate: 1).run(on: large)
        }
        XCTAssertEqual(head?.model, ExplicitHeadDescent.label)
        XCTAssertEqual(head?.cause, .learningRateTooLarge(1e306))
        let implicit = expectDivergence {
            _ = try Theorem2Experiment(steps: 50, explicitLearningRate: 0.5, implicitLearningRate: 1e306).run(on: large)
        }
        XCTAssertEqual(implicit?.model, SingleTokenImplicitDynamics.label)
        XCTAssertEqual(implicit?.cause, .learningRateTooLarge(1e306))
    }

    func testExplicitHeadDescentThrowsAtTheStepWhoseHeadOverflows() throws {
        let z = Matrix(rowVectors: [[8, 0]])
        var descent = ExplicitHeadDescent(differences: z, head: [0, 0])
        // Step 1 moves u by eta sigma(0) z = 4 eta in the first coordinate: 4e308 overflows.
        let error = expectDivergence { for _ in 0..<5 { try descent.step(learningRate: 1e308) } }
        XCTAssertEqual(error?.quantity, .parameter)
        XCTAssertEqual(error?.step, 1)
        XCTAssertEqual(error?.value, .infinity)
        XCTAssertEqual(descent.stepsTaken, 1)
        var sane = ExplicitHeadDescent(differences: z, head: [0, 0])
        for _ in 0..<5 { try sane.step(learningRate: 1e300) }
        XCTAssertEqual(sane.head, [4e300, 0], "one step saturates the margin; later steps move u by under 1 ulp")
    }

    func testThePhaseDiagramNamesTheCellThatDiverged() {
        // 1e308 / beta^2 overflows: refused before the cell's first step, naming the cell.
        let diagram = PhaseDiagram(alignments: [0.5], overlaps: [0], seeds: [3], steps: 5, earlyStep: 1,
                                   explicitLearningRate: 1e308, baseTask: ShiftFixtures.tokenShift(seed: 0))
        let error = expectDivergence { _ = try diagram.run() }
        XCTAssertEqual(error?.cause, .learningRateTooLarge(1e308))
        XCTAssertEqual(error?.model.hasSuffix("(alignment 0.5, overlap 0.0, seed 3)"), true, error?.model ?? "")
    }

    func testStatisticsOfNaNValuesAreNaN() {
        XCTAssertTrue(MarginAccuracy.accuracy([1, .nan, -1]).isNaN, "a NaN margin is not a wrong answer")
        XCTAssertEqual(MarginAccuracy.accuracy([1, 0, -1, 2]), 0.625)
        XCTAssertTrue(MaxMarginPrediction.cosine([1, .nan], [1, 0]).isNaN, "Swift's min(1, .nan) would clamp it to 1")
        XCTAssertEqual(MaxMarginPrediction.cosine([0, 0], [1, 0]), 0)
        let prediction = MaxMarginPrediction(separator: [1, 0], differences: Matrix(rowVectors: [[1, 0], [.nan, 1]]))
        XCTAssertEqual(prediction.cosines[0], 1)
        XCTAssertTrue(prediction.cosines[1].isNaN)
        XCTAssertTrue(prediction.predictedCorrectFraction.isNaN)
        let differences = DifferenceStatistics(innerProducts: [1, .nan], cosines: [1, 0.5])
        XCTAssertTrue(differences.fractionPositive.isNaN)
        XCTAssertTrue(differences.innerProduct.median.isNaN)
        let shares = FirstOrderShareStatistics(tokenIdentity: [0.5, .nan], competition: [0.5, 1])
        XCTAssertTrue(shares.tokenIdentityShare.median.isNaN)
        XCTAssertTrue(shares.predictedPositiveFraction.isNaN)
        XCTAssertTrue(shares.identityPositiveFraction.isNaN)
        XCTAssertEqual(shares.competitionPositiveFraction, 1)
        let clean = FirstOrderShareStatistics(tokenIdentity: [0.5, 0, 0], competition: [0.5, 1, 0])
        XCTAssertEqual(clean.tokenIdentityShare.count, 2, "0 / 0 pairs are left out")
        XCTAssertEqual(clean.tokenIdentityShare.figures, [0, 0.125, 0.25, 0.375, 0.5])
    }
}
