import Autodiff
import LinearAlgebra
import TestSupport
import TinyLM
import XCTest

final class HiddenStatePullbackTests: XCTestCase {
    private func batch() throws -> TokenBatch {
        try TokenBatch([[0, 1, 4, 5], [0, 2, 6]], responseStarts: [2, 2])
    }

    private func cotangent(rows: Int, columns: Int, seed: UInt64) -> Matrix {
        var generator = SeededGenerator(seed: seed)
        return GaussianSampling.matrix(rows: rows, columns: columns, scale: 1, using: &generator)
    }

    func testPullbackAgreesWithFiniteDifferencesOfTheWeightedHiddenStates() throws {
        let model = try gradientCheckModel(layers: 1)
        let batch = try batch()
        let pass = try HiddenStatePullback(model: model, batch: batch)
        let c = cotangent(rows: pass.hidden.rows, columns: pass.hidden.columns, seed: 5)
        let gradients = pass.pullback(c)
        XCTAssertEqual(gradients.count, model.parameters.count)
        for index in 0..<model.parameters.count {
            let name = model.parameters.names[index]
            func weighted(_ values: [Double]) -> Double {
                var perturbed = model
                let shape = model.parameters.values[index]
                perturbed.parameters.setValue(Matrix(rows: shape.rows, columns: shape.columns, elements: values), at: index)
                let tape = Tape()
                let hidden = tape.value(try! perturbed.forward(batch, on: tape, differentiable: false).hidden)
                return BLAS.dot(hidden.elements, c.elements)
            }
            let error = FiniteDifference.maxError(analytic: gradients[index].elements, of: weighted,
                                                  at: model.parameters.values[index].elements)
            XCTAssertLessThan(error, modelGradientTolerance, name)
        }
        let unembedding = model.parameters.index(of: TinyLMParameterName.unembedding)!
        XCTAssertTrue(gradients[unembedding].elements.allSatisfy { $0 == 0 }, "W does not enter h")
    }

    func testPullbackIsLinearAndFrozenParametersGetExactZeros() throws {
        var model = try gradientCheckModel(layers: 1)
        let frozen = TinyLMParameterName.Block(0).mlpInputWeight
        try model.parameters.freezeAll(except: Set(model.parameters.names.filter { $0 != frozen }))
        let pass = try HiddenStatePullback(model: model, batch: try batch())
        let a = cotangent(rows: pass.hidden.rows, columns: pass.hidden.columns, seed: 1)
        let b = cotangent(rows: pass.hidden.rows, columns: pass.hidden.columns, seed: 2)
        let combined = pass.pullback(2 * a - b)
        let separate = zip(pass.pullback(a), pass.pullback(b)).map { 2 * $0 - $1 }
        for (index, name) in model.parameters.names.enumerated() {
            // Two reverse sweeps against one: the same products in another order, rounding only.
            assertClose(combined[index], separate[index], tolerance: 1e-12, name)
        }
        XCTAssertTrue(combined[model.parameters.index(of: frozen)!].elements.allSatisfy { $0 == 0 })
    }
}
