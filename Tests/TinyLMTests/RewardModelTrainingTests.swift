import Autodiff
import LinearAlgebra
import TinyLM
import XCTest

/// The reward-model pieces composed into the two reward models of the paper and trained a few steps
/// under Assumption 1 (only the read-out trains), as the experiment layers will do.
final class RewardModelTrainingTests: XCTestCase {
    // Prompt [0, 3]; chosen responses end in token 5, rejected ones in token 6.
    private let chosen = [[0, 3, 2, 5], [0, 4, 5]]
    private let rejected = [[0, 3, 2, 6], [0, 4, 6]]

    private func backbone() throws -> TinyLM {
        try TinyLM(configuration: TinyLMConfiguration(vocabularySize: 8, width: 8, layers: 1, heads: 2, contextLength: 6,
                                                      initialScale: 0.3), seed: 4)
    }

    private var batch: TokenBatch {
        get throws { try TokenBatch(chosen + rejected, responseStarts: [2, 2, 2, 2]) }
    }

    func testExplicitRewardModelHeadTrainsOnAFrozenBackbone() throws {
        var model = try backbone()
        try model.parameters.freezeAll(except: [])
        var head = ParameterSet()
        head.append("head", Matrix(rows: 8, columns: 1))  // u = 0: every reward 0, loss ln 2
        var sgd = SGD(learningRate: 1)
        var losses: [Double] = []
        for _ in 0..<5 {
            let tape = Tape()
            let pass = try model.forward(batch, on: tape)
            let u = head.bind(to: tape)
            let rewards = tape.matmul(pass.lastHidden(on: tape), u["head"])  // 4 x 1
            let loss = RewardLoss.bradleyTerry(on: tape, chosen: tape.sliceRows(rewards, 0..<2),
                                               rejected: tape.sliceRows(rewards, 2..<4))
            losses.append(tape.scalar(loss))
            let gradients = tape.gradients(of: loss)
            sgd.step(&head, gradients: u.gradients(from: gradients))
            sgd.step(&model.parameters, gradients: pass.parameters.gradients(from: gradients))
        }
        // u = 0 gives r = 0 for all, so the first loss is exactly ln 2 up to log1p rounding.
        XCTAssertEqual(losses[0], log(2), accuracy: 1e-15)
        XCTAssertLessThan(losses[4], losses[0])
        XCTAssertEqual(model.parameters, try backbone().parameters.frozenForComparison(), "the backbone is frozen")
    }

    func testImplicitRewardModelTrainsTheUnembeddingOnlyAndStartsAtZeroReward() throws {
        var model = try backbone()
        let reference = model
        try model.parameters.freezeAll(except: [TinyLMParameterName.unembedding])
        let beta = 0.5
        var sgd = SGD(learningRate: 2)
        var margins: [[Double]] = []
        for _ in 0..<5 {
            let tape = Tape()
            let policy = try model.forward(batch, on: tape)
            let frozen = try reference.forward(batch, on: tape, differentiable: false)
            let rewards = tape.scale(tape.subtract(policy.responseLogProbabilities(on: tape),
                                                   frozen.responseLogProbabilities(on: tape)), by: beta)  // 4 x 1
            let chosenRewards = tape.sliceRows(rewards, 0..<2)
            let rejectedRewards = tape.sliceRows(rewards, 2..<4)
            margins.append(tape.value(tape.subtract(chosenRewards, rejectedRewards)).elements)
            let loss = RewardLoss.bradleyTerry(on: tape, chosen: chosenRewards, rejected: rejectedRewards)
            sgd.step(&model.parameters, gradients: policy.parameters.gradients(from: tape.gradients(of: loss)))
        }
        XCTAssertEqual(margins[0], [0, 0], "pi = pi_ref at step 0: every IM-RM reward is exactly 0")
        XCTAssert(margins[4].allSatisfy { $0 > 0 }, "training raises the chosen responses: \(margins[4])")
        for (index, name) in model.parameters.names.enumerated() where name != TinyLMParameterName.unembedding {
            XCTAssertEqual(model.parameters.values[index], reference.parameters.values[index], name)
        }
    }
}

private extension ParameterSet {
    /// The same matrices with every parameter frozen, for comparing a frozen model's values with a fresh one.
    func frozenForComparison() throws -> ParameterSet {
        var copy = self
        try copy.freezeAll(except: [])
        return copy
    }
}
