import Experiments
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

    /// The same instance with every hidden state multiplied by `scale`.
    private func scaled(_ instance: Instance, by scale: Double) throws -> Instance {
        var sequences: [String: TokenSequence] = [:]
        for (id, sequence) in instance.sequences {
            sequences[id] = TokenSequence(tokens: sequence.tokens, hidden: scale * sequence.hidden)
        }
        return try Instance(beta: instance.beta, unembedding: instance.unembedding,
                            referenceUnembedding: instance.referenceUnembedding, head: instance.head,
                            sequences: sequences, train: instance.train, evaluationSets: instance.evaluationSets)
    }

    func testATinyBetaIsRefusedBeforeTheRunNotPrintedAsNaN() throws {
        let instance = try instance(beta: 1e-200)
        // lr / beta^2: beta^2 underflows to 0.
        let derived = expectDivergence { _ = try LearningRates.implicitDefault(explicitLearningRate: 0.01, beta: 1e-200) }
        XCTAssertEqual(derived?.cause, .betaTooSmall(1e-200))
        XCTAssertEqual(derived?.quantity, .learningRate)
        XCTAssertEqual(derived?.step, 0)
        XCTAssertEqual(try LearningRates.implicitDefault(explicitLearningRate: 0.01, beta: 0.1), 0.01 / (0.1 * 0.1))
        let run = expectDivergence {
            _ = try DynamicsExperiment(steps: 50, explicitLearningRate: 0.01, implicitLearningRate: .infinity).run(on: instance)
        }
        XCTAssertEqual(run?.cause, .betaTooSmall(1e-200), "the default rate would be infinite too: beta is to blame")
        XCTAssertEqual(run?.model, "im_rm")
        let large = expectDivergence {
            _ = try DynamicsExperiment(steps: 5, explicitLearningRate: 0.01, implicitLearningRate: .infinity)
                .run(on: try self.instance())
        }
        XCTAssertEqual(large?.cause, .learningRateTooLarge(.infinity), "beta 0.5 is fine: the rate itself is to blame")
    }

    func testEveryAssumptionOneModelStopsAtTheFirstNonFiniteStep() throws {
        // Gradient descent on a logistic loss saturates rather than overflows at a merely huge rate; with
        // hidden states of size 1e3 a rate of 1e306 makes the first update itself overflow.
        let instance = try scaled(try instance(), by: 1e3)
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

    func testTheDynamicsExperimentThrowsInsteadOfReportingNaNAccuracyAndZeroAgreement() throws {
        let instance = try instance()
        let error = expectDivergence {
            _ = try DynamicsExperiment(steps: 50, explicitLearningRate: 0.01, implicitLearningRate: 1e306)
                .run(on: try self.scaled(instance, by: 1e3))
        }
        XCTAssertEqual(error?.model.hasPrefix("im_rm"), true, error?.description ?? "")
        XCTAssertEqual(error?.cause, .learningRateTooLarge(1e306))
        // The same run at a sane rate is finite everywhere, agreement included.
        let result = try DynamicsExperiment(steps: 50, explicitLearningRate: 0.01, implicitLearningRate: 0.04).run(on: instance)
        XCTAssertTrue(result.agreement.values.allSatisfy(\.isFinite))
        XCTAssertTrue(result.checkpoints.allSatisfy { $0.metrics.values.allSatisfy { $0.values.allSatisfy(\.accuracy.isFinite) } })
    }

    func testHiddenStatesNear1e155AreBlamedOnTheRepresentations() throws {
        let huge = try scaled(try instance(), by: 1e155)
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
        let experiment = expectDivergence {
            _ = try DynamicsExperiment(steps: 5, explicitLearningRate: 0.01, implicitLearningRate: 0.04).run(on: huge)
        }
        guard case .hiddenStatesTooLarge = experiment?.cause else {
            return XCTFail("cause \(String(describing: experiment?.cause))")
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
