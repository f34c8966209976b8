import LinearAlgebra
import RewardDynamics
import Tasks
import TestSupport
import XCTest

final class ImplicitInvariantTests: XCTestCase {
    func testImplicitRewardsAreExactlyZeroAtInitialization() throws {
        try propertySweep(seeds: 0..<6, shapes: Fixtures.shapes) { sweep, shape in
            let instance = try Fixtures.instance(shape, using: &sweep.generator)
            let layout = SequenceLayout(instance)
            let model = ImplicitRewardModel(instance: instance, layout: layout, reference: .frozenInitial)
            let dynamics = ImplicitRewardDynamics(instance: instance, layout: layout, reference: .frozenInitial)
            XCTAssertEqual(model.rewards(), [Double](repeating: 0, count: layout.sequenceCount))
            XCTAssertEqual(dynamics.rewards(), [Double](repeating: 0, count: layout.sequenceCount))
            for set in layout.evaluationSets {
                XCTAssertEqual(PairMetrics(rewards: model.rewards(), pairs: set.pairs).accuracy, 0.5)
            }
        }
    }

    func testRhoIsBoundedAndNonNegativeForMatchingTokens() {
        propertySweep(seeds: 0..<40, shapes: [2, 5, 50]) { sweep, vocabulary in
            let p = StableMath.softmax(GaussianSampling.vector(count: vocabulary, scale: 4, using: &sweep.generator))
            let q = StableMath.softmax(GaussianSampling.vector(count: vocabulary, scale: 4, using: &sweep.generator))
            let a = Int.random(in: 0..<vocabulary, using: &sweep.generator)
            let b = Int.random(in: 0..<vocabulary, using: &sweep.generator)
            let rho = ImplicitFirstOrderPrediction.rho(token: a, probabilities: p, token: b, probabilities: q)
            XCTAssert(rho >= -2 && rho <= 2, "rho = \(rho)")
            let same = ImplicitFirstOrderPrediction.rho(token: a, probabilities: p, token: a, probabilities: q)
            // rho = (1 - p_a)(1 - q_a) + sum_{v != a} p_v q_v exactly; rounding is a few ulps.
            XCTAssertGreaterThanOrEqual(same, (1 - p[a]) * (1 - q[a]) - 1e-15)
            // Explicit inner product of e_a - p and e_b - q, computed the long way.
            var ea = p.map { -$0 }
            ea[a] += 1
            var eb = q.map { -$0 }
            eb[b] += 1
            XCTAssertEqual(rho, BLAS.dot(ea, eb), accuracy: 1e-14)
        }
    }

    func testPredictionSplitsIntoTokenIdentityAndCompetition() throws {
        try propertySweep(seeds: 0..<4, shapes: Fixtures.shapes) { sweep, shape in
            let instance = try Fixtures.instance(shape, using: &sweep.generator)
            var dynamics = ImplicitRewardDynamics(instance: instance, layout: SequenceLayout(instance),
                                                  reference: .frozenInitial)
            for _ in 0..<5 { try dynamics.step(learningRate: 1) }
            let prediction = try dynamics.firstOrderPrediction(learningRate: 1)
            for s in prediction.predicted.indices {
                XCTAssertEqual(prediction.tokenIdentity[s] + prediction.competition[s], prediction.predicted[s])
            }
            XCTAssertGreaterThan(prediction.tokenIdentity.map(abs).max()!, 0)
            XCTAssertGreaterThan(prediction.competition.map(abs).max()!, 0)
        }
    }

    /// Relative error ||predicted - exact||_inf / ||exact||_inf of one step at learning rate eta.
    private func firstOrderError(_ dynamics: ImplicitRewardDynamics, learningRate: Double) throws -> Double {
        let predicted = try dynamics.firstOrderPrediction(learningRate: learningRate).predicted
        var stepped = dynamics
        let before = dynamics.rewards()
        try stepped.step(learningRate: learningRate)
        let exact = zip(stepped.rewards(), before).map(-)
        return NaNPropagating.maxAbsDifference(predicted, exact) / NaNPropagating.maxAbs(exact)
    }

    func testFirstOrderErrorShrinksTenfoldWhenTheLearningRateDoes() throws {
        try propertySweep(seeds: 0..<4, shapes: Fixtures.shapes) { sweep, shape in
            let instance = try Fixtures.instance(shape, using: &sweep.generator)
            var dynamics = ImplicitRewardDynamics(instance: instance, layout: SequenceLayout(instance),
                                                  reference: .frozenInitial)
            for _ in 0..<3 { try dynamics.step(learningRate: 2) }
            let errors = try [1.0, 0.1, 0.01].map { try firstOrderError(dynamics, learningRate: $0) }
            // O(eta^2) error over an O(eta) step: the ratio tends to exactly 10 as eta -> 0; the O(eta^3)
            // term moves it by under 10% at these rates (measured 9.9 to 10.4).
            for (larger, smaller) in zip(errors, errors.dropFirst()) {
                let ratio = larger / smaller
                XCTAssert(ratio > 9 && ratio < 11, "error ratio \(ratio) for errors \(errors)")
            }
        }
    }
}
