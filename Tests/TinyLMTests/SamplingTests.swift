import Foundation
import LinearAlgebra
import TestSupport
import TinyLM
import XCTest

final class SamplingTests: XCTestCase {
    /// Vocabulary {0, 1, 2}, token 2 ends a response. A large initial scale makes the next-token laws
    /// far from uniform, so a sampler that ignored the model would be caught.
    private func model(seed: UInt64 = 3) throws -> TinyLM {
        try TinyLM(configuration: TinyLMConfiguration(vocabularySize: 3, width: 8, layers: 1, heads: 2, contextLength: 8,
                                                      initialScale: 1.0), seed: seed)
    }

    private let configuration = SamplingConfiguration(endOfSequence: 2, maxNewTokens: 2)

    func testSameSeedSameResponsesAndAnotherSeedDiffers() throws {
        let lm = try model()
        let prompts = Array(repeating: [0, 1], count: 40) + Array(repeating: [1], count: 40)
        var first = SeededGenerator(seed: 11)
        var second = SeededGenerator(seed: 11)
        var other = SeededGenerator(seed: 12)
        let a = try lm.sample(prompts: prompts, configuration: configuration, using: &first)
        let b = try lm.sample(prompts: prompts, configuration: configuration, using: &second)
        let c = try lm.sample(prompts: prompts, configuration: configuration, using: &other)
        XCTAssertEqual(a, b, "same generator state, same responses bit for bit")
        XCTAssertNotEqual(a.map(\.tokens), c.map(\.tokens), "80 draws from another seed should not all coincide")
    }

    func testBatchSizeDoesNotChangeTheResponses() throws {
        let lm = try model()
        let prompts = [[0], [1, 1, 0], [0, 1], [1], [0, 0, 0, 1]]
        var small = configuration
        small.batchSize = 2
        var first = SeededGenerator(seed: 5)
        var second = SeededGenerator(seed: 5)
        let a = try lm.sample(prompts: prompts, configuration: configuration, using: &first)
        let b = try lm.sample(prompts: prompts, configuration: small, using: &second)
        XCTAssertEqual(a.map(\.tokens), b.map(\.tokens), "padding and batch neighbours cannot change a causal model's law")
        // Log-probabilities agree to rounding: a batch's padding changes BLAS blocking, not the math.
        assertClose(a.map(\.logProbability), b.map(\.logProbability), tolerance: 1e-12)
    }

    func testLogProbabilityIsTheModelsResponseLikelihoodAtTemperatureOne() throws {
        let lm = try model()
        let prompts = [[0], [1, 0], [0, 0, 1]]
        var generator = SeededGenerator(seed: 2)
        let responses = try lm.sample(prompts: Array(repeating: prompts, count: 5).flatMap { $0 }, configuration: configuration,
                                      using: &generator)
        let direct = try lm.responseLogProbabilities(prompts: responses.map(\.prompt), responses: responses.map(\.tokens))
        // Both sum the same log-softmax entries, from forward passes over differently padded batches.
        assertClose(responses.map(\.logProbability), direct, tolerance: 1e-12)
        for response in responses {
            XCTAssertEqual(response.isFinished, response.tokens.last == 2)
            XCTAssert(response.isFinished || response.tokens.count == 2, "stops only at <eos> or maxNewTokens")
            XCTAssertFalse(response.tokens.dropLast().contains(2), "nothing is drawn after <eos>")
        }
    }

    /// Every response of at most two tokens after prompt [0], with its exact probability from a forward
    /// pass; 6000 draws must land on each with the frequency the model gives it.
    func testEmpiricalFrequenciesMatchTheModelsProbabilities() throws {
        let lm = try model()
        let possible: [[Int]] = [[2], [0, 2], [0, 0], [0, 1], [1, 2], [1, 0], [1, 1]]
        let exact = try lm.responseLogProbabilities(prompts: Array(repeating: [0], count: possible.count), responses: possible)
            .map { exp($0) }
        XCTAssertEqual(exact.reduce(0, +), 1, accuracy: 1e-12, "the responses partition all outcomes")
        XCTAssertGreaterThan(exact.max()! - exact.min()!, 0.05, "the law should be far from uniform for this test to bite")
        let draws = 6000
        var generator = SeededGenerator(seed: 99)
        let responses = try lm.sample(prompts: Array(repeating: [0], count: draws), configuration: configuration,
                                      using: &generator)
        var counts = [[Int]: Int]()
        for response in responses { counts[response.tokens, default: 0] += 1 }
        XCTAssertEqual(Set(counts.keys).subtracting(possible), [], "only the enumerated responses can occur")
        for (response, probability) in zip(possible, exact) {
            let frequency = Double(counts[response] ?? 0) / Double(draws)
            // Five binomial standard deviations: a false alarm is a ~1e-6 event per response.
            let tolerance = 5 * (probability * (1 - probability) / Double(draws)).squareRoot() + 1e-9
            XCTAssertEqual(frequency, probability, accuracy: tolerance, "response \(response)")
        }
    }

    func testConstrainedTokensAreNeverDrawn() throws {
        let lm = try model()
        var generator = SeededGenerator(seed: 4)
        // Never token 1; <eos> only as the second token.
        let responses = try lm.sample(prompts: Array(repeating: [1], count: 200), configuration: configuration,
                                      constraint: { _, soFar in soFar.isEmpty ? [true, false, false] : [true, false, true] },
                                      using: &generator)
        for response in responses {
            XCTAssertEqual(response.tokens.first, 0)
            XCTAssertFalse(response.tokens.contains(1))
        }
        // A single allowed token is drawn with probability 1 (log-probability exactly 0).
        var again = SeededGenerator(seed: 4)
        let forced = try lm.sample(prompts: [[1]], configuration: configuration,
                                   constraint: { _, soFar in soFar.isEmpty ? [false, true, false] : [false, false, true] },
                                   using: &again)
        XCTAssertEqual(forced[0].tokens, [1, 2])
        XCTAssertEqual(forced[0].logProbability, 0)
    }

    func testLowTemperatureIsGreedy() throws {
        let lm = try model()
        let law = try lm.nextTokenLogProbabilities(of: [[0]])[0]
        let argmax = law.indices.max { law[$0] < law[$1] }!
        var cold = configuration
        cold.temperature = 1e-3
        cold.maxNewTokens = 1
        var generator = SeededGenerator(seed: 8)
        let responses = try lm.sample(prompts: Array(repeating: [0], count: 50), configuration: cold, using: &generator)
        XCTAssert(responses.allSatisfy { $0.tokens == [argmax] }, "tau -> 0 draws the most likely token")
    }

    func testBadInputsThrow() throws {
        let lm = try model()
        var generator = SeededGenerator(seed: 0)
        XCTAssertThrowsError(try lm.sample(prompts: [[]], configuration: configuration, using: &generator))
        XCTAssertThrowsError(try lm.sample(prompts: [[0, 5]], configuration: configuration, using: &generator))
        XCTAssertThrowsError(try lm.sample(prompts: [[0, 0, 0, 0, 0, 0, 0]], configuration: configuration, using: &generator),
                             "7 prompt tokens + 2 new ones exceed context 8")
        var bad = configuration
        bad.temperature = 0
        XCTAssertThrowsError(try lm.sample(prompts: [[0]], configuration: bad, using: &generator))
        bad = configuration
        bad.endOfSequence = 3
        XCTAssertThrowsError(try lm.sample(prompts: [[0]], configuration: bad, using: &generator))
    }
}
