import TheorycheckCore
import Experiments
import LinearAlgebra
import RewardDynamics
import TestSupport
import TinyLM
import XCTest

/// The frozen-kernel (lazy) prediction and the tangent kernel it is built from.
final class LazyKernelPredictionTests: XCTestCase {
    // V = 9: <bos> = 0; tokens 1-3 are prompt words, 4-8 answer words.
    private let pairs = [
        TokenPreferencePair(prompt: [0, 1], chosen: [4, 5], rejected: [6, 7]),
        TokenPreferencePair(prompt: [0, 2, 3], chosen: [5], rejected: [7]),
        TokenPreferencePair(prompt: [0, 3], chosen: [4, 8, 5], rejected: [6, 8, 7]),
    ]
    private var items: [PromptResponse] {
        pairs.flatMap { [$0.chosenSequence, $0.rejectedSequence] }
            + [PromptResponse(prompt: [0, 2], response: [8, 4]), PromptResponse(prompt: [0, 2], response: [8, 6])]
    }
    private var trainPairs: [IndexedPair] { (0..<pairs.count).map { IndexedPair(chosen: 2 * $0, rejected: 2 * $0 + 1) } }

    private func trainer(_ type: RewardModelKind, readoutOnly: Bool, learningRate: Double) throws -> RewardModelTrainer {
        let backbone = try TinyLM(configuration: TinyLMConfiguration(vocabularySize: 9, width: 8, layers: 1, heads: 2,
                                                                     contextLength: 8, initialScale: 0.4), seed: 2)
        let model = try TinyLMRewardModel(backbone: backbone,
                                          configuration: RewardModelConfiguration(type: type, beta: 0.5, readoutOnly: readoutOnly))
        return try RewardModelTrainer(model: model, pairs: pairs,
                                      configuration: RewardTrainingConfiguration(optimizer: .sgd(learningRate: learningRate)))
    }

    /// Rounding of a few hundred products per step over 30 steps: far below 1e-10.
    private let linearModelTolerance = 1e-10

    func testLazyPredictionIsExactForAnExplicitRewardModelOnAFrozenBackbone() throws {
        // r = <u, h> with h fixed is linear in the only trainable parameter, so its tangent kernel never
        // moves and the function-space dynamics are gradient descent itself.
        for type in [RewardModelKind.explicit, .explicitMeanPooled] {
            var trainer = try trainer(type, readoutOnly: true, learningRate: 0.5)
            let initial = try trainer.model.rewards(items)
            let kernel = try TangentKernel(model: trainer.model, items: items)
            let steps = [0, 1, 2, 5, 10, 30]
            let lazy = LazyKernelPrediction(kernel: kernel.full, initialRewards: initial, trainPairs: trainPairs,
                                            learningRate: 0.5).rewards(at: steps)
            XCTAssertEqual(lazy[0], initial, "step 0 is the start, exactly")
            var step = 0
            for (index, target) in steps.enumerated() {
                while step < target {
                    try trainer.step()
                    step += 1
                }
                assertClose(lazy[index], try trainer.model.rewards(items), tolerance: linearModelTolerance,
                            "\(type.rawValue) at step \(target)")
            }
            XCTAssertGreaterThan(try trainer.model.rewards(items).map(abs).max()!, 0.1, "the rewards moved")
        }
    }

    func testLazyPredictionDriftsWhenTheBackboneTrains() throws {
        // Not a tolerance check but the opposite: with every parameter training the kernel moves, so the
        // lazy prediction is not the trained model (it would be a vacuous comparison otherwise).
        var trainer = try trainer(.explicit, readoutOnly: false, learningRate: 0.5)
        let initial = try trainer.model.rewards(items)
        let kernel = try TangentKernel(model: trainer.model, items: items)
        let lazy = LazyKernelPrediction(kernel: kernel.full, initialRewards: initial, trainPairs: trainPairs,
                                        learningRate: 0.5).rewards(at: [30])[0]
        for _ in 0..<30 { try trainer.step() }
        XCTAssertGreaterThan(maxRelativeDifference(lazy, try trainer.model.rewards(items)), 1e-4)
    }

    func testTangentKernelPartsAreSymmetricAndPositiveSemidefinite() throws {
        for type in [RewardModelKind.explicit, .implicit] {
            var trainer = try trainer(type, readoutOnly: false, learningRate: 0.3)
            for _ in 0..<3 { try trainer.step() }
            let kernel = try TangentKernel(model: trainer.model, items: items)
            for part in [kernel.readout, kernel.backbone] {
                for a in 0..<part.rows {
                    for b in 0..<part.columns { XCTAssertEqual(part[a, b], part[b, a], "\(type.rawValue)") }
                }
                let eigenvalues = try SymmetricEigendecomposition(part).eigenvalues
                let largest = eigenvalues.map(abs).max()!
                // Gram matrices: eigenvalues >= 0 up to rounding of the largest one.
                XCTAssertGreaterThanOrEqual(eigenvalues.min()!, -1e-12 * largest, "\(type.rawValue)")
            }
            XCTAssertGreaterThan(kernel.backbone.elements.map(abs).max()!, 0, "\(type.rawValue): the backbone contributes")
        }
    }

    func testExplicitKernelHasNoBackbonePartAtAZeroHead() throws {
        // grad_backbone <u, h> = J^T u = 0 at u = 0: the EX-RM starts on its read-out kernel.
        let trainer = try trainer(.explicit, readoutOnly: false, learningRate: 0.3)
        let kernel = try TangentKernel(model: trainer.model, items: items)
        XCTAssertTrue(kernel.backbone.elements.allSatisfy { $0 == 0 })
        XCTAssertGreaterThan(kernel.readout.elements.map(abs).max()!, 0)
        let frozen = try self.trainer(.implicit, readoutOnly: true, learningRate: 0.3)
        XCTAssertTrue(try TangentKernel(model: frozen.model, items: items).backbone.elements.allSatisfy { $0 == 0 })
    }
}
