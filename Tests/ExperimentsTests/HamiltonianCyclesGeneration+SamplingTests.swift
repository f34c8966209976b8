import Foundation
import Experiments
import LinearAlgebra
import Tasks
import TinyLM
import XCTest

final class HamiltonianCyclesSamplingTests: XCTestCase {
    /// The bare 4-cycle 0-1-2-3: 8 of the 24 permutations are Hamiltonian cycles.
    private let square = UndirectedGraph(vertexCount: 4, edges: [GraphEdge(0, 1), GraphEdge(1, 2), GraphEdge(2, 3),
                                                                 GraphEdge(3, 0)])

    private func model(vertexCount: Int, initialScale: Double = 0.02, seed: UInt64 = 1) throws -> TinyLM {
        let size = HamiltonianCyclesVocabulary(vertexCount: vertexCount).size
        return try TinyLM(configuration: TinyLMConfiguration(vocabularySize: size, width: 8, layers: 1, heads: 2,
                                                             contextLength: 3 * vertexCount * (vertexCount - 1) / 2 + vertexCount + 1,
                                                             initialScale: initialScale), seed: seed)
    }

    /// Constrained decoding from a nearly uniform model gives nearly uniform permutations, so the valid
    /// fraction lands on the exact chance 1/3 of the 4-cycle.
    func testConstrainedNearlyUniformModelScoresChance() throws {
        let lm = try model(vertexCount: 4)
        var generator = SeededGenerator(seed: 7)
        let options = HamiltonianCyclesGeneration.Options(samplesPerGraph: 600, constrained: true)
        let result = try HamiltonianCyclesGeneration.evaluate(model: lm, graphs: [square], options: options,
                                                              using: &generator)
        XCTAssertEqual(result.samples, 600)
        XCTAssertEqual(result.permutationCount, 600, "constrained answers are always permutations")
        XCTAssertEqual(result.finishedCount, 600)
        // Five binomial standard deviations of 600 draws at 1/3 (0.019 each), plus 0.02 for the model's
        // small departure from uniform at initial scale 0.02.
        XCTAssertEqual(result.validFraction, 1.0 / 3, accuracy: 5 * 0.0193 + 0.02)
    }

    func testUnconstrainedUntrainedModelRarelyAnswersAPermutation() throws {
        let lm = try model(vertexCount: 5)
        var generator = SeededGenerator(seed: 3)
        let graph = UndirectedGraph.complete(vertexCount: 5)
        let result = try HamiltonianCyclesGeneration.evaluate(
            model: lm, graphs: [graph], options: HamiltonianCyclesGeneration.Options(samplesPerGraph: 300), using: &generator)
        // On K_5 every permutation is a cycle, so valid = permutation; a uniform policy answers one with
        // probability 120 / 8^6 = 4.6e-4.
        XCTAssertEqual(result.validCount, result.permutationCount)
        XCTAssertLessThan(result.validCount, 5)
        XCTAssertEqual(result.examples.count, HamiltonianCyclesGeneration.exampleCount)
    }

    func testSameSeedSameResult() throws {
        let lm = try model(vertexCount: 4, initialScale: 0.5)
        let options = HamiltonianCyclesGeneration.Options(samplesPerGraph: 20)
        var first = SeededGenerator(seed: 2)
        var second = SeededGenerator(seed: 2)
        let a = try HamiltonianCyclesGeneration.evaluate(model: lm, graphs: [square, square], options: options, using: &first)
        let b = try HamiltonianCyclesGeneration.evaluate(model: lm, graphs: [square, square], options: options, using: &second)
        XCTAssertEqual(a, b)
    }

    func testWrongVocabularyThrows() throws {
        let lm = try model(vertexCount: 5)
        var generator = SeededGenerator(seed: 0)
        XCTAssertThrowsError(try HamiltonianCyclesGeneration.evaluate(
            model: lm, graphs: [square], options: HamiltonianCyclesGeneration.Options(), using: &generator))
    }

    /// pi(C | x) summed over the listed cycles equals the sum of the cycles' likelihoods done by hand.
    func testValidProbabilityMassSumsTheCyclesLikelihoods() throws {
        let lm = try model(vertexCount: 4, initialScale: 0.5)
        let vocabulary = HamiltonianCyclesVocabulary(vertexCount: 4)
        let cycles = [[0, 1, 2, 3], [1, 2, 3, 0], [2, 3, 0, 1], [3, 0, 1, 2], [0, 3, 2, 1], [3, 2, 1, 0], [2, 1, 0, 3],
                      [1, 0, 3, 2]]
        let prompt = vocabulary.encodePrompt(square)
        let byHand = try lm.responseLogProbabilities(prompts: Array(repeating: prompt, count: 8),
                                                     responses: cycles.map(vocabulary.encodeResponse)).map { exp($0) }
            .reduce(0, +)
        let mass = try XCTUnwrap(HamiltonianExperiment.validProbabilityMass(of: lm, graphs: [square], vocabulary: vocabulary))
        XCTAssertEqual(mass, byHand, accuracy: 1e-14)
        XCTAssertGreaterThan(mass, 0)
        XCTAssertLessThan(mass, 1)
    }
}
