import Autodiff
import LinearAlgebra
import TestSupport
import TinyLM
import XCTest

/// Structural invariants of the forward pass and of the reward-model pieces read from it.
final class ForwardPassTests: XCTestCase {
    private func model(seed: UInt64 = 1) throws -> TinyLM {
        try TinyLM(configuration: TinyLMConfiguration(vocabularySize: 9, width: 8, layers: 2, heads: 2, contextLength: 8,
                                                      initialScale: 0.3), seed: seed)
    }

    func testLogProbabilityRowsNormalize() throws {
        let evaluation = try model().evaluate([[0, 3, 4, 8, 1]])[0]
        for row in 0..<5 {
            let total = evaluation.logProbabilities.row(row).reduce(0) { $0 + exp($1) }
            // 1e-13: a sum of 9 probabilities, each from one exp of a shifted log.
            XCTAssertEqual(total, 1, accuracy: 1e-13)
        }
    }

    func testOutputsAreCausalAndIndependentOfTheRestOfTheBatch() throws {
        let lm = try model()
        let alone = try lm.evaluate([[0, 3, 4]])[0]
        // The same prefix, continued differently, next to a longer sequence (so it is padded).
        let batched = try lm.evaluate([[0, 5, 6, 7, 2, 2], [0, 3, 4, 8, 8]], batchSize: 2)[1]
        // Rounding only: the same arithmetic on rows that BLAS may block differently (1e-12 absolute).
        assertClose(batched.hidden.selectingRows([0, 1, 2]), alone.hidden, tolerance: 1e-12)
        assertClose(batched.logProbabilities.selectingRows([0, 1, 2]), alone.logProbabilities, tolerance: 1e-12)
        // And a later token does change the later positions (the check above could not pass vacuously).
        XCTAssertGreaterThan(abs(batched.hidden[3, 0] - alone.hidden[2, 0]), 0)
    }

    func testRewardPiecesAgreeWithPerPositionEvaluation() throws {
        let lm = try model()
        let sequences = [[0, 3, 4, 8, 1], [0, 2, 6]]
        let starts = [2, 1]
        let evaluations = try lm.evaluate(sequences)
        let tape = Tape()
        let pass = try lm.forward(try TokenBatch(sequences, responseStarts: starts), on: tape, differentiable: false)
        let logLikelihoods = tape.value(pass.responseLogProbabilities(on: tape))  // 2 x 1
        let last = tape.value(pass.lastHidden(on: tape))  // 2 x d
        let pooled = tape.value(pass.meanResponseHidden(on: tape))  // 2 x d
        for index in 0..<2 {
            let evaluation = evaluations[index]
            let expected = evaluation.nextTokenLogProbabilities[(starts[index] - 1)...].reduce(0, +)
            // 1e-12: sums of at most four log-probabilities of unit scale, batch rounding as above.
            XCTAssertEqual(logLikelihoods[index, 0], expected, accuracy: 1e-12)
            assertClose(last.row(index), evaluation.hidden.row(sequences[index].count - 1), tolerance: 1e-12)
            let responseRows = Array(starts[index]..<sequences[index].count)
            let mean = responseRows.map { evaluation.hidden.row($0) }
                .reduce([Double](repeating: 0, count: 8)) { zip($0, $1).map(+) }
                .map { $0 / Double(responseRows.count) }
            assertClose(pooled.row(index), mean, tolerance: 1e-12)
            // The RewardDynamics layout: L + 1 rows, first the context predicting the first response token.
            let representations = evaluation.responseRepresentations(responseStart: starts[index])
            XCTAssertEqual(representations.rows, sequences[index].count - starts[index] + 1)
            XCTAssertEqual(representations.row(0), evaluation.hidden.row(starts[index] - 1))
            XCTAssertEqual(representations.row(representations.rows - 1), evaluation.hidden.row(sequences[index].count - 1))
        }
    }

    func testImplicitRewardIsExactlyZeroAgainstAnIdenticalReference() throws {
        // pi = pi_ref at initialization: the IM-RM reward is exactly 0 (same computation, same bits).
        let policy = try model()
        let reference = policy
        let batch = try TokenBatch([[0, 3, 4, 8], [0, 3, 2, 1]], responseStarts: [2, 2])
        let tape = Tape()
        let mine = try policy.forward(batch, on: tape).responseLogProbabilities(on: tape)
        let theirs = try reference.forward(batch, on: tape, differentiable: false).responseLogProbabilities(on: tape)
        XCTAssertEqual(tape.value(tape.subtract(mine, theirs)).elements, [0, 0])
    }

    func testSameSeedSameParametersAndDifferentSeedDifferentOnes() throws {
        XCTAssertEqual(try model(seed: 4).parameters, try model(seed: 4).parameters)
        XCTAssertNotEqual(try model(seed: 4).parameters, try model(seed: 5).parameters)
    }

    func testAnInitialModelPredictsNearlyUniformly() throws {
        // initialScale 0.02: logits of order 0.02 sqrt(d), so the loss is ln V to within a few hundredths.
        let lm = try TinyLM(configuration: .tiny(vocabularySize: 20), seed: 0)
        let loss = try lm.meanNextTokenLoss([[0, 3, 4, 8, 1], [0, 5, 6, 19]])
        XCTAssertEqual(loss, log(20), accuracy: 0.05)
    }
}
