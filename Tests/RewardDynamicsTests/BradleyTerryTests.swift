import Foundation
import LinearAlgebra
import RewardDynamics
import TestSupport
import XCTest

final class BradleyTerryTests: XCTestCase {
    func testLossIsLn2AtZeroMarginsAndCoefficientsSumToZero() {
        let pairs = [IndexedPair(chosen: 0, rejected: 1), IndexedPair(chosen: 2, rejected: 1)]
        let gradient = BradleyTerryGradient(rewards: [0, 0, 0], pairs: pairs)
        XCTAssertEqual(gradient.loss, log(2), accuracy: 1e-15)
        XCTAssertEqual(gradient.pairWeights, [0.5, 0.5])
        XCTAssertEqual(gradient.sequenceCoefficients, [0.5, -1, 0.5])
    }

    func testRewardGradientMatchesFiniteDifferences() {
        propertySweep(seeds: 0..<6) { sweep in
            let count = 6
            let pairs = (0..<5).map { _ in
                IndexedPair(chosen: Int.random(in: 0..<count, using: &sweep.generator),
                            rejected: Int.random(in: 0..<count, using: &sweep.generator))
            }
            let rewards = GaussianSampling.vector(count: count, scale: 3, using: &sweep.generator)
            let gradient = BradleyTerryGradient(rewards: rewards, pairs: pairs)
            // dL/dr = -(1/n) c
            let analytic = gradient.sequenceCoefficients.map { -$0 / Double(pairs.count) }
            let error = FiniteDifference.maxError(analytic: analytic, of: {
                BradleyTerryGradient(rewards: $0, pairs: pairs).loss
            }, at: rewards)
            XCTAssertLessThan(error, 1e-8)
            XCTAssertEqual(gradient.sequenceCoefficients.reduce(0, +), 0, accuracy: 1e-14)
        }
    }

    func testLossIsFiniteForHugeMargins() {
        let pairs = [IndexedPair(chosen: 0, rejected: 1)]
        XCTAssertEqual(BradleyTerryGradient(rewards: [-800, 800], pairs: pairs).loss, 1600, accuracy: 1e-9)
        XCTAssertEqual(BradleyTerryGradient(rewards: [800, -800], pairs: pairs).loss, 0)
    }
}
