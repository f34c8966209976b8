import LinearAlgebra
import RewardDynamics
import TestSupport
import XCTest

/// Function space equals parameter space: the closed forms against the read-outs trained directly.
final class ClosedFormAgreementTests: XCTestCase {
    /// Both computations are exact in real arithmetic; they differ by rounding that grows at most
    /// linearly over 500 steps of O(1) rewards, far below 1e-9.
    let agreementTolerance = 1e-9

    func testExplicitFunctionSpaceEqualsTrainingTheHeadOver500Steps() throws {
        try propertySweep(seeds: 0..<3, shapes: Fixtures.shapes) { sweep, shape in
            let instance = try Fixtures.instance(shape, using: &sweep.generator)
            let layout = SequenceLayout(instance)
            for readout in [ExplicitReadout.lastPosition, .meanPooled] {
                var model = ExplicitRewardModel(layout: layout, readout: readout, head: instance.head)
                var dynamics = ExplicitRewardDynamics(layout: layout, readout: readout, initialHead: instance.head)
                var worst = 0.0
                for _ in 0..<500 {
                    try model.step(learningRate: 0.5)
                    try dynamics.step(learningRate: 0.5)
                    worst = NaNPropagating.max(worst, maxRelativeDifference(dynamics.rewards, model.rewards()))
                }
                XCTAssertLessThanOrEqual(worst, agreementTolerance, "\(readout)")
                // The head moved: the check is not comparing two frozen models.
                XCTAssertGreaterThan(BLAS.norm(model.head), 0.1)
            }
        }
    }

    func testImplicitFunctionSpaceEqualsTrainingTheUnembeddingOver500Steps() throws {
        try propertySweep(seeds: 0..<2, shapes: Fixtures.shapes) { sweep, shape in
            let instance = try Fixtures.instance(shape, using: &sweep.generator)
            let layout = SequenceLayout(instance)
            for reference in [ImplicitReference.frozenInitial, .none] {
                var model = ImplicitRewardModel(instance: instance, layout: layout, reference: reference)
                var dynamics = ImplicitRewardDynamics(instance: instance, layout: layout, reference: reference)
                var worst = 0.0
                for _ in 0..<500 {
                    try model.step(learningRate: 2)
                    try dynamics.step(learningRate: 2)
                    worst = NaNPropagating.max(worst, maxRelativeDifference(dynamics.rewards(), model.rewards()))
                }
                XCTAssertLessThanOrEqual(worst, agreementTolerance, "\(reference)")
                XCTAssertGreaterThan((model.unembedding - instance.unembedding).maxAbs, 0.01)
            }
        }
    }

    func testExplicitPredictedStepIsTheExactStep() throws {
        try propertySweep(seeds: 0..<6, shapes: Fixtures.shapes) { sweep, shape in
            let instance = try Fixtures.instance(shape, using: &sweep.generator)
            let layout = SequenceLayout(instance)
            var model = ExplicitRewardModel(layout: layout, readout: .lastPosition, head: instance.head)
            for _ in 0..<3 { try model.step(learningRate: 1) }
            let dynamics = ExplicitRewardDynamics(layout: layout, readout: .lastPosition, initialHead: model.head)
            let before = model.rewards()
            let predicted = try dynamics.predictedStep(learningRate: 0.7)
            try model.step(learningRate: 0.7)
            let actual = zip(model.rewards(), before).map(-)
            // Linear in the head: exact up to rounding of O(1) quantities.
            assertClose(predicted, actual, tolerance: 1e-12)
        }
    }

    func testEveryTrainingStepDescendsTheLossGradient() throws {
        // The parameter-space step equals -eta * grad L, checked by central differences on W and on u.
        try propertySweep(seeds: 0..<3, shapes: [(V: 7, d: 3, n: 3, L: 2)]) { sweep, shape in
            let base = try Fixtures.instance(shape, using: &sweep.generator)
            let layout = SequenceLayout(base)
            func instance(unembedding: [Double]) -> Instance {
                try! Instance(beta: base.beta, unembedding: Matrix(rows: base.vocabularySize, columns: base.hiddenWidth,
                                                                   elements: unembedding),
                              referenceUnembedding: base.referenceUnembedding, sequences: base.sequences,
                              train: base.train, evaluationSets: base.evaluationSets)
            }
            for reference in [ImplicitReference.frozenInitial, .none] {
                var model = ImplicitRewardModel(instance: base, layout: layout, reference: reference)
                let learningRate = 0.3
                try model.step(learningRate: learningRate)
                let analytic = (model.unembedding - base.unembedding).elements.map { -$0 / learningRate }
                let error = FiniteDifference.maxError(analytic: analytic, of: { w in
                    let probe = ImplicitRewardModel(instance: instance(unembedding: w), layout: layout, reference: reference)
                    return BradleyTerryGradient(rewards: probe.rewards(), pairs: layout.trainPairs).loss
                }, at: base.unembedding.elements)
                XCTAssertLessThan(error, 1e-8, "\(reference)")
            }
            for readout in [ExplicitReadout.lastPosition, .meanPooled] {
                let start = GaussianSampling.vector(count: base.hiddenWidth, using: &sweep.generator)
                var model = ExplicitRewardModel(layout: layout, readout: readout, head: start)
                try model.step(learningRate: 0.3)
                let analytic = zip(model.head, start).map { -($0 - $1) / 0.3 }
                let error = FiniteDifference.maxError(analytic: analytic, of: { u in
                    let probe = ExplicitRewardModel(layout: layout, readout: readout, head: u)
                    return BradleyTerryGradient(rewards: probe.rewards(), pairs: layout.trainPairs).loss
                }, at: start)
                XCTAssertLessThan(error, 1e-8, "\(readout)")
            }
        }
    }
}
