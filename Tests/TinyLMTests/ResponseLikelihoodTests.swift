import Foundation
import LinearAlgebra
import TestSupport
import TinyLM
import XCTest

final class ResponseLikelihoodTests: XCTestCase {
    private let prompts = [[0, 3], [0, 4, 4], [1]]
    private let responses = [[2, 5], [5], [6, 6, 2]]

    private func model() throws -> TinyLM {
        try TinyLM(configuration: TinyLMConfiguration(vocabularySize: 8, width: 8, layers: 1, heads: 2, contextLength: 8,
                                                      initialScale: 0.3), seed: 2)
    }

    func testScoresAreSumsOfNextTokenLogProbabilities() throws {
        let lm = try model()
        let scores = try lm.responseLogProbabilities(prompts: prompts, responses: responses, batchSize: 2)
        for (index, (prompt, response)) in zip(prompts, responses).enumerated() {
            var total = 0.0
            for k in response.indices {
                let law = try lm.nextTokenLogProbabilities(of: [prompt + response[..<k]])[0]
                total += law[response[k]]
            }
            // The same log-softmax entries from differently padded batches: agreement to rounding.
            XCTAssertEqual(scores[index], total, accuracy: 1e-12, "pair \(index)")
        }
    }

    func testSupervisedStepsRaiseTheResponseLikelihood() throws {
        var lm = try model()
        let batch = try TokenBatch(zip(prompts, responses).map { $0 + $1 }, responseStarts: prompts.map(\.count))
        let before = try lm.responseLogProbabilities(prompts: prompts, responses: responses)
        var adam = Adam(AdamConfiguration(learningRate: 1e-2))
        let first = try lm.trainResponseLikelihood(on: batch, optimizer: &adam)
        XCTAssertEqual(first, -before.reduce(0, +) / 3, accuracy: 1e-12, "the loss is minus the mean response log-likelihood")
        var last = first
        for _ in 0..<20 { last = try lm.trainResponseLikelihood(on: batch, optimizer: &adam) }
        XCTAssertLessThan(last, 0.8 * first)
    }
}
