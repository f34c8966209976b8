import LinearAlgebra
import RewardDynamics
import Tasks
import TestSupport
import XCTest

/// Assumption 2: single-token responses sharing the prompt context.
final class SingleTokenDynamicsTests: XCTestCase {
    /// Responses drawn from the first 6 of 20 tokens, so tokens 6..<20 are never seen in training.
    private func instance(using generator: inout SeededGenerator) throws -> Instance {
        try RandomInstance(vocabularySize: 20, hiddenWidth: 5, trainPairs: 8, responseLength: 1, evaluationPairs: 6,
                           beta: 0.7, unembeddingScale: 2, responseVocabulary: 6, sharedPrompt: true)
            .make(using: &generator)
    }

    func testUnseenRowsStayBitIdenticalAndUnseenPairsKeepMarginZero() throws {
        try propertySweep(seeds: 0..<8) { sweep in
            let instance = try instance(using: &sweep.generator)
            var dynamics = try SingleTokenImplicitDynamics(instance: instance)
            let unseen = Array(Set(0..<20).subtracting(dynamics.trainTokens)).sorted()
            XCTAssertFalse(unseen.isEmpty)
            let unseenPairs = (0..<10).map { _ -> SingleTokenImplicitDynamics.Pair in
                let a = unseen.randomElement(using: &sweep.generator)!
                var b = unseen.randomElement(using: &sweep.generator)!
                while b == a && unseen.count > 1 { b = unseen.randomElement(using: &sweep.generator)! }
                return .init(prompt: GaussianSampling.vector(count: 5, using: &sweep.generator), chosen: a, rejected: b)
            }
            for _ in 0..<300 { try dynamics.step(learningRate: 5) }
            for token in unseen {
                XCTAssertEqual(dynamics.unembedding.row(token), instance.unembedding.row(token), "row \(token)")
            }
            XCTAssertEqual(dynamics.margins(unseenPairs), [Double](repeating: 0, count: unseenPairs.count))
            // Training did happen: the training pairs are now separated.
            XCTAssertGreaterThan(dynamics.margins(dynamics.trainPairs).min()!, 0)
        }
    }

    func testClosedFormMarginChangeIsExact() throws {
        try propertySweep(seeds: 0..<8) { sweep in
            let instance = try instance(using: &sweep.generator)
            var dynamics = try SingleTokenImplicitDynamics(instance: instance)
            let evaluation = try SingleTokenImplicitDynamics.pairs(of: instance.evaluationSets[0].pairs, in: instance)
            for _ in 0..<4 {
                let before = dynamics.margins(evaluation + dynamics.trainPairs)
                let predicted = dynamics.predictedMarginChange(evaluation + dynamics.trainPairs, learningRate: 3)
                try dynamics.step(learningRate: 3)
                let actual = zip(dynamics.margins(evaluation + dynamics.trainPairs), before).map(-)
                // Exact in real arithmetic: rounding of O(1) dot products only.
                assertClose(predicted, actual, tolerance: 1e-12)
            }
        }
    }

    func testGeneralImplicitModelFollowsTheSingleTokenClosedForm() throws {
        try propertySweep(seeds: 0..<4) { sweep in
            let instance = try instance(using: &sweep.generator)
            let layout = SequenceLayout(instance)
            var general = ImplicitRewardModel(instance: instance, layout: layout, reference: .frozenInitial)
            var closedForm = try SingleTokenImplicitDynamics(instance: instance)
            let evaluation = try SingleTokenImplicitDynamics.pairs(of: instance.evaluationSets[0].pairs, in: instance)
            for _ in 0..<50 {
                try general.step(learningRate: 3)
                try closedForm.step(learningRate: 3)
            }
            let rewards = general.rewards()
            let generalMargins = layout.evaluationSets[0].pairs.map { rewards[$0.chosen] - rewards[$0.rejected] }
            // The general model carries the (cancelling) log-normalizer: agreement is to rounding only.
            assertClose(generalMargins, closedForm.margins(evaluation), tolerance: 1e-10)
        }
    }

    func testTokenIdentityIsInMinusTwoToTwo() {
        let h = [1.0]
        let train = SingleTokenImplicitDynamics.Pair(prompt: h, chosen: 1, rejected: 2)
        XCTAssertEqual(SingleTokenImplicitDynamics.tokenIdentity(.init(prompt: h, chosen: 1, rejected: 2), train), 2)
        XCTAssertEqual(SingleTokenImplicitDynamics.tokenIdentity(.init(prompt: h, chosen: 2, rejected: 1), train), -2)
        XCTAssertEqual(SingleTokenImplicitDynamics.tokenIdentity(.init(prompt: h, chosen: 1, rejected: 3), train), 1)
        XCTAssertEqual(SingleTokenImplicitDynamics.tokenIdentity(.init(prompt: h, chosen: 3, rejected: 4), train), 0)
    }
}
