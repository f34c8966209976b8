import LinearAlgebra
import RewardDynamics
import TestSupport
import XCTest

/// Diverging runs are errors that name the model, the step and the cause, never NaN figures.
final class DivergenceTests: XCTestCase {
    private func instance(seed: UInt64 = 1, beta: Double = 0.5) throws -> Instance {
        var generator = SeededGenerator(seed: seed)
        return try Fixtures.instance((V: 30, d: 8, n: 6, L: 3), beta: beta, using: &generator)
    }

    func testATinyBetaIsRefusedBeforeTheRunNotPrintedAsNaN() throws {
        // lr / beta^2: beta^2 underflows to 0.
        let derived = expectDivergence { _ = try LearningRates.implicitDefault(explicitLearningRate: 0.01, beta: 1e-200) }
        XCTAssertEqual(derived?.cause, .betaTooSmall(1e-200))
        XCTAssertEqual(derived?.quantity, .learningRate)
        XCTAssertEqual(derived?.step, 0)
        XCTAssertEqual(try LearningRates.implicitDefault(explicitLearningRate: 0.01, beta: 0.1), 0.01 / (0.1 * 0.1))
    }

    func testEveryAssumptionOneModelStopsAtTheFirstNonFiniteStep() throws {
        // Gradient descent on a logistic loss saturates rather than overflows at a merely huge rate; with
        // hidden states of size 1e3 a rate of 1e306 makes the first update itself overflow.
        let instance = try ShiftFixtures.scaled(try instance(), by: 1e3)
        let layout = SequenceLayout(instance)
        for readout in [ExplicitReadout.lastPosition, .meanPooled] {
            var model = ExplicitRewardModel(layout: layout, readout: readout, head: instance.head)
            let error = expectDivergence { for _ in 0..<10 { try model.step(learningRate: 1e306) } }
            XCTAssertEqual(error?.model, readout.kind.rawValue)
            XCTAssertEqual(error?.cause, .learningRateTooLarge(1e306))
            var dynamics = ExplicitRewardDynamics(layout: layout, readout: readout, initialHead: instance.head)
            let closedForm = expectDivergence { for _ in 0..<10 { try dynamics.step(learningRate: 1e306) } }
            XCTAssertEqual(closedForm?.model, "\(readout.kind.rawValue) (closed form)")
            XCTAssertEqual(closedForm?.step, error?.step, "both computations overflow at the same step")
        }
        for reference in [ImplicitReference.frozenInitial, .none] {
            var model = ImplicitRewardModel(instance: instance, layout: layout, reference: reference)
            let error = expectDivergence { for _ in 0..<10 { try model.step(learningRate: 1e306) } }
            XCTAssertEqual(error?.model, reference.kind.rawValue)
            XCTAssertEqual(error?.cause, .learningRateTooLarge(1e306))
            XCTAssertGreaterThan(error?.step ?? 0, 0, "step 0 is finite: the error is at the first bad step")
            XCTAssertEqual(model.stepsTaken, error?.step)
            var dynamics = ImplicitRewardDynamics(instance: instance, layout: layout, reference: reference)
            let closedForm = expectDivergence { for _ in 0..<10 { try dynamics.step(learningRate: 1e306) } }
            XCTAssertEqual(closedForm?.model, "\(reference.kind.rawValue) (closed form)")
            XCTAssertGreaterThan(closedForm?.step ?? 0, 0)
        }
    }

    func testHiddenStatesNear1e155AreBlamedOnTheRepresentations() throws {
        let huge = try ShiftFixtures.scaled(try instance(), by: 1e155)
        let layout = SequenceLayout(huge)
        var dynamics = ImplicitRewardDynamics(instance: huge, layout: layout, reference: .frozenInitial)
        let error = expectDivergence { for _ in 0..<5 { try dynamics.step(learningRate: 0.01) } }
        guard case .hiddenStatesTooLarge = error?.cause else {
            return XCTFail("cause \(String(describing: error?.cause))")
        }
        XCTAssertTrue(error!.description.contains("rescale them"), error!.description)
        let prediction = expectDivergence { _ = try StepAnalysis(instance: huge, learningRate: 0.01) }
        guard case .hiddenStatesTooLarge = prediction?.cause else {
            return XCTFail("cause \(String(describing: prediction?.cause))")
        }
    }

    func testPairMetricsOfNaNRewardsAreNaNNotAccuracyZero() {
        let pairs = [IndexedPair(chosen: 0, rejected: 1), IndexedPair(chosen: 2, rejected: 3)]
        let metrics = PairMetrics(rewards: [1, 0, .nan, 0], pairs: pairs)
        XCTAssertTrue(metrics.accuracy.isNaN)
        XCTAssertTrue(metrics.strictAccuracy.isNaN)
        XCTAssertTrue(metrics.normalizedMargin.isNaN)
        XCTAssertEqual(PairMetrics(rewards: [1, 0, 0, 0], pairs: pairs).accuracy, 0.75)
    }
}
