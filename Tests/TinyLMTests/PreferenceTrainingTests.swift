import Foundation
import LinearAlgebra
import TestSupport
import TinyLM
import XCTest

final class PreferenceTrainingTests: XCTestCase {
    // Prompts [0, 3] and [0, 4]; chosen responses end in token 5, rejected ones in token 6.
    private let pairs = [
        TokenPreferencePair(prompt: [0, 3], chosen: [2, 5], rejected: [2, 6]),
        TokenPreferencePair(prompt: [0, 4], chosen: [5], rejected: [6]),
        TokenPreferencePair(prompt: [0, 3], chosen: [1, 1, 5], rejected: [1, 6]),
    ]

    private func backbone() throws -> TinyLM {
        try TinyLM(configuration: TinyLMConfiguration(vocabularySize: 8, width: 8, layers: 1, heads: 2, contextLength: 8,
                                                      initialScale: 0.3), seed: 4)
    }

    private func models() throws -> [PreferenceRewardModel] {
        [.implicit(reference: try backbone(), beta: 0.5), .explicit(backbone: try backbone())]
    }

    func testEveryRewardStartsAtExactlyZero() throws {
        for model in try models() {
            let (chosen, rejected) = try model.rewards(of: pairs)
            XCTAssertEqual(chosen + rejected, Array(repeating: 0, count: 6), "\(model.objective)")
            XCTAssertEqual(try model.accuracy(on: pairs).accuracy, 0.5, "ties count half")
        }
    }

    func testTrainingLowersTheLossFromLn2AndRanksThePairs() throws {
        var configuration = PreferenceTrainingConfiguration(steps: 40, batchSize: 3, beta: 0.5)
        configuration.adam.learningRate = 1e-2
        for var model in try models() {
            let losses = try model.train(on: pairs, configuration: configuration)
            XCTAssertEqual(losses[0], log(2), accuracy: 1e-12, "\(model.objective): rewards 0 give loss ln 2")
            XCTAssertLessThan(losses.last!, 0.5 * log(2), "\(model.objective): \(losses.last!)")
            XCTAssertEqual(try model.accuracy(on: pairs).accuracy, 1, "\(model.objective)")
        }
    }

    func testAssumptionOneFreezesAllButTheReadOut() throws {
        let initial = try backbone()
        let configuration = PreferenceTrainingConfiguration(steps: 3, batchSize: 2, trainsBackbone: false)
        var implicit = PreferenceRewardModel.implicit(reference: initial, beta: 0.5)
        try implicit.train(on: pairs, configuration: configuration)
        for (index, name) in initial.parameters.names.enumerated() {
            let moved = implicit.model.parameters.values[index] != initial.parameters.values[index]
            XCTAssertEqual(moved, name == "unembedding", name)
        }
        var explicit = PreferenceRewardModel.explicit(backbone: initial)
        try explicit.train(on: pairs, configuration: configuration)
        XCTAssertEqual(explicit.model.parameters.values, initial.parameters.values, "the EX-RM backbone is frozen")
        XCTAssertNotEqual(explicit.head.values[0], Matrix(rows: 8, columns: 1), "the head moved")
    }

    func testSameSeedSameModel() throws {
        let configuration = PreferenceTrainingConfiguration(steps: 4, batchSize: 2, seed: 9)
        var first = PreferenceRewardModel.explicit(backbone: try backbone())
        var second = PreferenceRewardModel.explicit(backbone: try backbone())
        let a = try first.train(on: pairs, configuration: configuration)
        let b = try second.train(on: pairs, configuration: configuration)
        XCTAssertEqual(a, b)
        XCTAssertEqual(first.model.parameters, second.model.parameters)
        XCTAssertEqual(first.head, second.head)
    }

    func testBadConfigurationsThrow() throws {
        var model = PreferenceRewardModel.implicit(reference: try backbone(), beta: 0.5)
        XCTAssertThrowsError(try model.train(on: pairs, configuration: PreferenceTrainingConfiguration(steps: -1)))
        XCTAssertThrowsError(try model.train(on: pairs, configuration: PreferenceTrainingConfiguration(steps: 1, batchSize: 0)))
        XCTAssertThrowsError(try model.train(on: pairs, configuration: PreferenceTrainingConfiguration(steps: 1, beta: 0)))
        XCTAssertThrowsError(try model.train(on: [], configuration: PreferenceTrainingConfiguration(steps: 1)))
    }
}
