import Autodiff
import LinearAlgebra
import TestSupport
import TheorycheckCore
import TinyLM
import XCTest

/// The five reward models on a TinyLM backbone: gradients, starting values, freezing, determinism and
/// the errors a user can cause.
final class TinyLMRewardModelTests: XCTestCase {
    // Vocabulary of 7 (gradientCheckModel); prompts start with <bos> = 0; token 4 poses the EX-GRM's
    // question, 5 = "yes", 6 = "no".
    private let pairs = [
        TokenPreferencePair(prompt: [0, 3], chosen: [2, 5], rejected: [1, 6]),
        TokenPreferencePair(prompt: [0, 2, 3], chosen: [5], rejected: [6]),
        TokenPreferencePair(prompt: [0, 1], chosen: [3, 2], rejected: [3, 6]),
    ]
    private let verifier = VerifierFormat(suffix: [4], yesToken: 5, noToken: 6)

    private func model(_ type: RewardModelKind, readoutOnly: Bool = false, beta: Double = 0.7) throws -> TinyLMRewardModel {
        var model = try TinyLMRewardModel(
            backbone: gradientCheckModel(layers: 1),
            configuration: RewardModelConfiguration(type: type, beta: beta, readoutOnly: readoutOnly, verifier: verifier))
        if type.hasHead {
            // A nonzero head, so that gradients reach the backbone (u = 0 would stop them).
            var generator = SeededGenerator(seed: 11)
            model.head[TinyLMRewardModel.headName] = GaussianSampling.matrix(rows: 8, columns: 1, scale: 1, using: &generator)
        }
        return model
    }

    func testEveryTypesLossGradientMatchesCentralDifferences() throws {
        for type in RewardModelKind.allCases {
            var model = try model(type)
            if type == .implicit {
                // Move the policy away from pi_ref so the reference term is not trivially the policy.
                model.backbone.parameters[TinyLMParameterName.unembedding] = 1.5 * model.backbone.parameters[TinyLMParameterName.unembedding]
            }
            // Two pairs (one with a one-token response): every scalar of the model is perturbed, so keep it small.
            try checkModelGradients([model.backbone.parameters, model.head]) { tape, bound in
                try model.loss(Array(pairs[0..<2]), on: tape, parameters: .init(backbone: bound[0], head: bound[1]))
            }
        }
    }

    func testPerSequenceRewardGradientMatchesCentralDifferences() throws {
        for type in RewardModelKind.allCases {
            let model = try model(type)
            let item = pairs[0].chosenSequence
            let gradient = try model.rewardGradient(of: item)
            XCTAssertEqual(gradient.names, model.trainableNames)
            // Check the unembedding block (and the head) against central differences of the reward value.
            for (index, name) in gradient.names.enumerated()
                where name == TinyLMParameterName.unembedding || name == TinyLMRewardModel.headName
            {
                let base = name == TinyLMRewardModel.headName ? model.head[name] : model.backbone.parameters[name]
                let error = FiniteDifference.maxError(analytic: gradient.values[index].elements, of: { values in
                    var perturbed = model
                    let matrix = Matrix(rows: base.rows, columns: base.columns, elements: values)
                    if name == TinyLMRewardModel.headName { perturbed.head[name] = matrix } else { perturbed.backbone.parameters[name] = matrix }
                    return try! perturbed.rewards([item])[0]
                }, at: base.elements)
                XCTAssertLessThan(error, modelGradientTolerance, "\(type.rawValue), \(name)")
            }
        }
    }

    func testExplicitAndImplicitRewardsStartAtExactlyZero() throws {
        let items = pairs.flatMap { [$0.chosenSequence, $0.rejectedSequence] }
        for type in [RewardModelKind.explicit, .explicitMeanPooled, .implicit] {
            let fresh = try TinyLMRewardModel(backbone: gradientCheckModel(layers: 1),
                                              configuration: RewardModelConfiguration(type: type))
            XCTAssertEqual(try fresh.rewards(items), Array(repeating: 0, count: items.count), type.rawValue)
        }
        let noReference = try TinyLMRewardModel(backbone: gradientCheckModel(layers: 1),
                                                configuration: RewardModelConfiguration(type: .implicitWithoutReference))
        XCTAssert(try noReference.rewards(items).allSatisfy { $0 < 0 }, "beta ln pi < 0 without a reference")
        let verifierModel = try model(.generativeVerifier)
        XCTAssert(try verifierModel.rewards(items).allSatisfy { $0 > 0 && $0 < 1 }, "the EX-GRM's reward is a probability")
    }

    func testReadoutOnlyTrainingMovesOnlyTheReadout() throws {
        for type in RewardModelKind.allCases {
            let start = try model(type, readoutOnly: true)
            var trainer = try RewardModelTrainer(model: start, pairs: pairs,
                                                 configuration: RewardTrainingConfiguration(optimizer: .adam(AdamConfiguration())))
            for _ in 0..<3 { try trainer.step() }
            let trained = trainer.model
            for (index, name) in trained.backbone.parameters.names.enumerated() {
                let moved = trained.backbone.parameters.values[index] != start.backbone.parameters.values[index]
                XCTAssertEqual(moved, !type.hasHead && name == TinyLMParameterName.unembedding, "\(type.rawValue): \(name)")
            }
            XCTAssertEqual(trained.head != start.head, type.hasHead, type.rawValue)
            XCTAssertEqual(Set(trained.trainableNames), trained.readoutNames, type.rawValue)
        }
    }

    func testTrainingLowersTheLossOfEveryType() throws {
        for type in RewardModelKind.allCases {
            var trainer = try RewardModelTrainer(
                model: model(type), pairs: pairs,
                configuration: RewardTrainingConfiguration(optimizer: .adam(AdamConfiguration(learningRate: 1e-2))))
            let first = try trainer.step()
            for _ in 0..<15 { try trainer.step() }
            XCTAssertLessThan(try trainer.step(), first, type.rawValue)
        }
    }

    func testSameSeedSameNumbersAndMinibatchesCoverEveryPairPerEpoch() throws {
        func run(seed: UInt64) throws -> (rewards: [Double], batches: [[Int]]) {
            var trainer = try RewardModelTrainer(
                model: model(.implicit), pairs: pairs,
                configuration: RewardTrainingConfiguration(optimizer: .adam(AdamConfiguration()), batchSize: 2, seed: seed))
            var batches: [[Int]] = []
            for _ in 0..<4 {
                let batch = trainer.nextBatch()
                batches.append(batch)
                try trainer.step(on: batch)
            }
            return (try trainer.model.rewards(pairs.map(\.chosenSequence)), batches)
        }
        let first = try run(seed: 5)
        let second = try run(seed: 5)
        XCTAssertEqual(first.rewards, second.rewards, "same seed, same numbers, bit for bit")
        XCTAssertEqual(first.batches, second.batches)
        // An epoch of 3 pairs in batches of 2 is a batch of 2 and a batch of 1 covering all three.
        XCTAssertEqual(Set(first.batches[0] + first.batches[1]), [0, 1, 2])
        XCTAssertEqual(first.batches[0].count + first.batches[1].count, 3)
    }

    func testBadConfigurationsGiveClearErrors() throws {
        func message(_ body: () throws -> Void) -> String {
            do {
                try body()
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        XCTAssert(message { _ = try TinyLM(configuration: TinyLMConfiguration(vocabularySize: 7, width: 0, layers: 1, heads: 1, contextLength: 6), seed: 0) }
            .contains("width is 0"))
        let backbone = try gradientCheckModel(layers: 1)  // context 6
        let long = TokenPreferencePair(prompt: [0, 1, 2, 3, 4], chosen: [5, 5], rejected: [6, 6])
        let tooLong = message {
            _ = try RewardModelTrainer(model: TinyLMRewardModel(backbone: backbone, configuration: RewardModelConfiguration(type: .explicit)),
                                       pairs: [long], configuration: RewardTrainingConfiguration(optimizer: .sgd(learningRate: 0.1)))
        }
        XCTAssert(tooLong.contains("does not fit contextLength 6"), tooLong)
        XCTAssert(message { _ = try TinyLMRewardModel(backbone: backbone, configuration: RewardModelConfiguration(type: .generativeVerifier)) }
            .contains("verifier"))
        XCTAssert(message { _ = try TinyLMRewardModel(backbone: backbone, configuration: RewardModelConfiguration(type: .implicit, beta: 0)) }
            .contains("beta"))
        let badVerifier = VerifierFormat(suffix: [4], yesToken: 9, noToken: 6)
        XCTAssert(message {
            _ = try TinyLMRewardModel(backbone: backbone, configuration: RewardModelConfiguration(type: .generativeVerifier, verifier: badVerifier))
        }.contains("outside the vocabulary"))
        let emptyResponse = TokenPreferencePair(prompt: [0], chosen: [], rejected: [6])
        XCTAssert(message {
            _ = try RewardModelTrainer(model: TinyLMRewardModel(backbone: backbone, configuration: RewardModelConfiguration(type: .explicit)),
                                       pairs: [emptyResponse], configuration: RewardTrainingConfiguration(optimizer: .sgd(learningRate: 0.1)))
        }.contains("response is empty"))
        XCTAssert(message {
            _ = try RewardModelTrainer(model: TinyLMRewardModel(backbone: backbone, configuration: RewardModelConfiguration(type: .explicit)),
                                       pairs: pairs, configuration: RewardTrainingConfiguration(optimizer: .sgd(learningRate: -1)))
        }.contains("learning rate"))
    }
}
