import Experiments
import LinearAlgebra
import RewardDynamics
import TestSupport
import TheorycheckCore
import TinyLM
import XCTest

/// Small language models trained for real against the dynamics core's closed forms.
final class AssumptionOneAgreementTests: XCTestCase {
    // V = 9: <bos> = 0; tokens 1-3 are prompt words, 4-8 answer words.
    private let pairs = [
        TokenPreferencePair(prompt: [0, 1], chosen: [4, 5], rejected: [6, 7]),
        TokenPreferencePair(prompt: [0, 2, 3], chosen: [5], rejected: [7]),
        TokenPreferencePair(prompt: [0, 3], chosen: [4, 8, 5], rejected: [6, 8, 7]),
    ]
    // Items: the training sequences, then two unseen pairs (a paraphrase-like shift).
    private var items: [PromptResponse] {
        pairs.flatMap { [$0.chosenSequence, $0.rejectedSequence] }
            + [PromptResponse(prompt: [0, 2], response: [8, 4]), PromptResponse(prompt: [0, 2], response: [8, 6])]
    }
    private var trainPairs: [IndexedPair] { (0..<pairs.count).map { IndexedPair(chosen: 2 * $0, rejected: 2 * $0 + 1) } }

    private func backbone() throws -> TinyLM {
        try TinyLM(configuration: TinyLMConfiguration(vocabularySize: 9, width: 8, layers: 1, heads: 2, contextLength: 8,
                                                      initialScale: 0.4), seed: 2)
    }

    private func trainer(_ type: RewardModelKind, readoutOnly: Bool, learningRate: Double) throws -> RewardModelTrainer {
        let model = try TinyLMRewardModel(backbone: backbone(),
                                          configuration: RewardModelConfiguration(type: type, beta: 0.5, readoutOnly: readoutOnly))
        return try RewardModelTrainer(model: model, pairs: pairs,
                                      configuration: RewardTrainingConfiguration(optimizer: .sgd(learningRate: learningRate)))
    }

    /// Rounding of a few hundred products of unit-scale numbers over 20 steps: far below 1e-10.
    private let closedFormTolerance = 1e-10

    func testFrozenBackboneTrainingEqualsTheDynamicsCoreModels() throws {
        let steps = 20
        for type in [RewardModelKind.explicit, .explicitMeanPooled, .implicit, .implicitWithoutReference] {
            let learningRate = 0.3
            var trainer = try trainer(type, readoutOnly: true, learningRate: learningRate)
            let instance = try AssumptionOnePrediction.instance(model: trainer.model, items: items, trainPairs: trainPairs)
            let layout = SequenceLayout(instance)
            var explicitModel = ExplicitRewardModel(layout: layout, readout: type == .explicit ? .lastPosition : .meanPooled,
                                                    head: instance.head)
            var implicitModel = ImplicitRewardModel(instance: instance, layout: layout,
                                                    reference: type == .implicit ? .frozenInitial : .none)
            for step in 0...steps {
                let actual = try trainer.model.rewards(items)
                let closedForm = type.hasHead ? explicitModel.rewards() : implicitModel.rewards()
                assertClose(actual, closedForm, tolerance: closedFormTolerance, "\(type.rawValue) at step \(step)")
                try trainer.step()
                if type.hasHead { try explicitModel.step(learningRate: learningRate) } else { try implicitModel.step(learningRate: learningRate) }
            }
        }
    }

    func testAssumptionOneClosedFormEqualsTheReadoutPartOfTheTangentKernel() throws {
        // With every parameter training, the read-out still moves by -eta grad_readout L, so the closed
        // form from the current representations equals <grad_readout r, Delta readout> to rounding.
        for type in [RewardModelKind.explicit, .explicitMeanPooled, .implicit, .implicitWithoutReference] {
            var trainer = try trainer(type, readoutOnly: false, learningRate: 0.2)
            for _ in 0..<3 { try trainer.step() }  // away from u = 0, where the backbone gets no gradient
            let before = trainer.model
            let rewards = try before.rewards(items)
            let closedForm = try AssumptionOnePrediction.predict(model: before, items: items, trainPairs: trainPairs,
                                                                 rewards: rewards, learningRate: 0.2)
            try trainer.step()
            let change = trainer.model.parameterChange(since: before)
            let readout = before.readoutNames
            let restricted = try items.map { try before.rewardGradient(of: $0).dot(change, where: { readout.contains($0) }) }
            assertClose(closedForm, restricted, tolerance: 1e-12, type.rawValue)
        }
    }

    /// The relative error of one step's prediction at learning rates eta and eta / 10, from a model
    /// first trained 5 steps at eta = 0.3 (so that the EX-RM head is not near 0, where the backbone would
    /// get almost no gradient).
    private func firstOrderErrors(_ type: RewardModelKind, readoutOnly: Bool, ntk: Bool,
                                  learningRates: [Double] = [0.01, 0.001]) throws -> [Double]
    {
        var warmUp = try trainer(type, readoutOnly: readoutOnly, learningRate: 0.3)
        for _ in 0..<5 { try warmUp.step() }
        return try learningRates.map { learningRate in
            var trainer = try RewardModelTrainer(model: warmUp.model, pairs: pairs,
                                                 configuration: RewardTrainingConfiguration(optimizer: .sgd(learningRate: learningRate)))
            let before = trainer.model
            let rewards = try before.rewards(items)
            let gradients = try items.map { try before.rewardGradient(of: $0) }
            let closedForm = try AssumptionOnePrediction.predict(model: before, items: items, trainPairs: trainPairs,
                                                                 rewards: rewards, learningRate: learningRate)
            try trainer.step()
            let change = trainer.model.parameterChange(since: before)
            let actual = zip(try trainer.model.rewards(items), rewards).map { $0 - $1 }
            let predicted = ntk ? gradients.map { $0.dot(change) } : closedForm
            return PredictionAgreement(predicted: predicted, actual: actual).relativeError
        }
    }

    func testFrozenBackboneAssumptionOneErrorIsFirstOrder() throws {
        // EX-RM: the reward is linear in u, so the prediction is exact at any learning rate.
        for type in [RewardModelKind.explicit, .explicitMeanPooled] {
            let errors = try firstOrderErrors(type, readoutOnly: true, ntk: false)
            XCTAssertLessThan(NaNPropagating.maxAbs(errors), 1e-9, type.rawValue)
        }
        // IM-RM: O(eta^2) error per step, so the relative error falls about 10x with eta.
        for type in [RewardModelKind.implicit, .implicitWithoutReference] {
            let errors = try firstOrderErrors(type, readoutOnly: true, ntk: false)
            let ratio = errors[0] / errors[1]
            XCTAssert(ratio > 7 && ratio < 13, "\(type.rawValue): errors \(errors), ratio \(ratio)")
        }
    }

    func testFullTrainingTangentKernelErrorIsFirstOrderButAssumptionOneIsNot() throws {
        for type in [RewardModelKind.explicit, .explicitMeanPooled, .implicit, .implicitWithoutReference] {
            let ntk = try firstOrderErrors(type, readoutOnly: false, ntk: true)
            let ratio = ntk[0] / ntk[1]
            XCTAssert(ratio > 7 && ratio < 13, "\(type.rawValue) NTK: errors \(ntk), ratio \(ratio)")
            // The read-out-only prediction misses the backbone's share, which does not vanish with eta.
            let assumption1 = try firstOrderErrors(type, readoutOnly: false, ntk: false)
            XCTAssertGreaterThan(assumption1[1], 10 * ntk[1], "\(type.rawValue): Assumption 1 \(assumption1), NTK \(ntk)")
        }
    }
}
