import Autodiff
import LinearAlgebra
import TestSupport
import TinyLM
import XCTest

final class OptimizerTests: XCTestCase {
    private func twoMatrices() -> ParameterSet {
        var set = ParameterSet()
        set.append("a", Matrix(rowVectors: [[1, 2], [3, 4]]))
        set.append("b", Matrix(rowVectors: [[-1, 0.5]]))
        return set
    }

    func testSGDStepIsThetaMinusEtaTimesTheGradient() {
        var set = twoMatrices()
        var sgd = SGD(learningRate: 0.5)
        sgd.step(&set, gradients: [Matrix(rowVectors: [[2, 0], [-4, 1]]), Matrix(rowVectors: [[1, 1]])])
        // Exact in binary: halves of small integers.
        XCTAssertEqual(set["a"], Matrix(rowVectors: [[0, 2], [5, 3.5]]))
        XCTAssertEqual(set["b"], Matrix(rowVectors: [[-1.5, 0]]))
    }

    func testAdamFirstStepMovesByTheLearningRateTimesTheSignAndZeroGradientsNeverMove() {
        var set = twoMatrices()
        var adam = Adam(AdamConfiguration(learningRate: 0.1))
        let gradient = [Matrix(rowVectors: [[3, -0.01], [0, 200]]), Matrix(rowVectors: [[0, -5]])]
        adam.step(&set, gradients: gradient)
        // m/(1-b1) = g and sqrt(v/(1-b2)) = |g| after one step, so the move is eta g / (|g| + eps):
        // eta sign(g) up to eps/|g| <= 1e-6 relative.
        let expectedA = [1 - 0.1, 2 + 0.1, 3, 4 - 0.1]
        assertClose(set["a"].elements, expectedA, tolerance: 1e-7)
        XCTAssertEqual(set["a"][1, 0], 3, "a zero gradient must leave the entry bit-identical")
        for _ in 0..<5 { adam.step(&set, gradients: gradient) }
        XCTAssertEqual(set["a"][1, 0], 3)
        XCTAssertEqual(set["b"][0, 0], -1)
    }

    func testFrozenParametersStayBitIdenticalUnderEveryOptimizer() throws {
        var model = try TinyLM(configuration: TinyLMConfiguration(vocabularySize: 6, width: 4, layers: 1, heads: 2,
                                                                  contextLength: 5), seed: 2)
        let initial = model.parameters
        try model.parameters.freezeAll(except: [TinyLMParameterName.unembedding])
        let batch = try TokenBatch([[0, 1, 2, 3], [0, 4, 5]])
        var adam = Adam()
        var sgd = SGD(learningRate: 0.1)
        for step in 0..<4 {
            if step % 2 == 0 {
                try model.trainNextToken(on: batch, optimizer: &adam)
            } else {
                try model.trainNextToken(on: batch, optimizer: &sgd)
            }
        }
        for (index, name) in initial.names.enumerated() {
            if name == TinyLMParameterName.unembedding {
                XCTAssertNotEqual(model.parameters.values[index], initial.values[index], "the read-out must train")
            } else {
                XCTAssertEqual(model.parameters.values[index], initial.values[index], "\(name) is frozen")
            }
        }
    }

    func testAReferenceCopyIsUntouchedByTrainingTheModel() throws {
        var model = try TinyLM(configuration: .tiny(vocabularySize: 6), seed: 2)
        let reference = model
        var adam = Adam()
        try model.trainNextToken(on: TokenBatch([[0, 1, 2, 3]]), optimizer: &adam)
        XCTAssertNotEqual(model.parameters, reference.parameters)
        XCTAssertEqual(reference.parameters, try TinyLM(configuration: .tiny(vocabularySize: 6), seed: 2).parameters)
    }
}
