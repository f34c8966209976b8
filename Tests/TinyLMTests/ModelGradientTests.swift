import Autodiff
import LinearAlgebra
import TestSupport
import TinyLM
import XCTest

/// The whole model's losses against central finite differences, parameter group by parameter group.
final class ModelGradientTests: XCTestCase {
    // Two sequences of different lengths, so padding and per-sequence blocks are both exercised.
    private let sequences = [[0, 3, 5, 2, 6], [0, 4, 1]]

    func testNextTokenLossGradientWithRespectToEveryParameter() throws {
        let model = try gradientCheckModel()
        let batch = try TokenBatch(sequences)
        try checkModelGradients([model.parameters]) { tape, bound in
            try model.forward(batch, on: tape, parameters: bound[0]).nextTokenLoss(on: tape)
        }
    }

    func testImplicitRewardBradleyTerryLossGradient() throws {
        // IM-RM: r = beta (ln pi(y|x) - ln pi_ref(y|x)); chosen sequence 0, rejected sequence 1, both with
        // the prompt [0, 3]. The reference is a frozen copy bound as constants on the same tape.
        var model = try gradientCheckModel(layers: 1)
        let reference = model
        model.parameters.setValue(model.parameters[TinyLMParameterName.unembedding] + 0.1 * reference.parameters[TinyLMParameterName.tokenEmbedding],
                                  at: model.parameters.index(of: TinyLMParameterName.unembedding)!)
        let batch = try TokenBatch([[0, 3, 5, 2], [0, 3, 1, 4, 6]], responseStarts: [2, 2])
        let beta = 0.7
        try checkModelGradients([model.parameters]) { tape, bound in
            let policy = try model.forward(batch, on: tape, parameters: bound[0]).responseLogProbabilities(on: tape)  // 2 x 1
            let frozen = try reference.forward(batch, on: tape, differentiable: false).responseLogProbabilities(on: tape)
            let rewards = tape.scale(tape.subtract(policy, frozen), by: beta)  // 2 x 1
            return RewardLoss.bradleyTerry(on: tape, chosen: tape.sliceRows(rewards, 0..<1),
                                           rejected: tape.sliceRows(rewards, 1..<2))
        }
    }

    func testExplicitRewardLossGradientsForLastAndMeanPooledHeads() throws {
        let model = try gradientCheckModel(layers: 1)
        var generator = SeededGenerator(seed: 9)
        var head = ParameterSet()
        head.append("head", GaussianSampling.matrix(rows: 8, columns: 1, using: &generator))  // d x 1
        // Two pairs: rows 0, 1 chosen; rows 2, 3 rejected.
        let batch = try TokenBatch([[0, 3, 5], [0, 2, 6, 1], [0, 3, 4], [0, 2, 2, 2]], responseStarts: [2, 2, 2, 2])
        for pooled in [false, true] {
            try checkModelGradients([model.parameters, head]) { tape, bound in
                let pass = try model.forward(batch, on: tape, parameters: bound[0])
                let features = pooled ? pass.meanResponseHidden(on: tape) : pass.lastHidden(on: tape)  // 4 x d
                let rewards = tape.matmul(features, bound[1]["head"])  // 4 x 1
                return RewardLoss.bradleyTerry(on: tape, chosen: tape.sliceRows(rewards, 0..<2),
                                               rejected: tape.sliceRows(rewards, 2..<4))
            }
        }
    }

    func testFrozenParametersGetNoGradientAndTheReadOutStillDoes() throws {
        var model = try gradientCheckModel(layers: 1)
        try model.parameters.freezeAll(except: [TinyLMParameterName.unembedding])
        let batch = try TokenBatch(sequences)
        let tape = Tape()
        let pass = try model.forward(batch, on: tape)
        let gradients = tape.gradients(of: pass.nextTokenLoss(on: tape))
        for (index, name) in model.parameters.names.enumerated() {
            let reached = gradients.reached(pass.parameters.variables[index])
            XCTAssertEqual(reached, name == TinyLMParameterName.unembedding, name)
        }
        // Only the read-out trains, so the loss is checked against differences in W alone.
        try checkModelGradients([model.parameters]) { tape, bound in
            try model.forward(batch, on: tape, parameters: bound[0]).nextTokenLoss(on: tape)
        }
    }
}
