import Autodiff
import LinearAlgebra
import TestSupport
import TinyLM
import XCTest

/// Central differences at h = 1e-5 of a smooth, unit-scale loss err by about 1e-9 even through two
/// transformer blocks (truncation h^2 f''' / 6, rounding eps |f| / h); 1e-6 keeps a 1000x margin, and a
/// wrong pullback anywhere in the model moves some coordinate's gradient by far more.
let modelGradientTolerance = 1e-6

/// A model small enough for a full finite-difference sweep in a debug build (about 1,300 scalars), with
/// a large initialization and randomized layer-norm gains and biases so that every parameter group has
/// gradients of order 0.01 to 1 rather than near-zero ones that would pass any check.
func gradientCheckModel(layers: Int = 2, seed: UInt64 = 3) throws -> TinyLM {
    let configuration = TinyLMConfiguration(vocabularySize: 7, width: 8, layers: layers, heads: 2, contextLength: 6,
                                            mlpWidth: 12, initialScale: 0.5)
    var model = try TinyLM(configuration: configuration, seed: seed)
    var generator = SeededGenerator(seed: seed &+ 100)
    for index in 0..<model.parameters.count where model.parameters.names[index].hasSuffix("bias")
        || model.parameters.names[index].hasSuffix("gain")
    {
        let value = model.parameters.values[index]
        let noise = GaussianSampling.matrix(rows: value.rows, columns: value.columns, scale: 0.3, using: &generator)
        model.parameters.setValue(value + noise, at: index)
    }
    return model
}

/// Compares the tape's gradient of `loss` with respect to every trainable scalar of `sets` with central
/// differences, and reports the worst error per parameter (named) on failure.
func checkModelGradients(
    _ sets: [ParameterSet], tolerance: Double = modelGradientTolerance,
    file: StaticString = #filePath, line: UInt = #line,
    loss: (Tape, [BoundParameters]) throws -> Variable
) throws {
    let tape = Tape()
    let bound = sets.map { $0.bind(to: tape) }
    let gradients = tape.gradients(of: try loss(tape, bound))
    for (setIndex, set) in sets.enumerated() {
        let analytic = bound[setIndex].gradients(from: gradients)
        for parameterIndex in 0..<set.count where set.isTrainable[parameterIndex] {
            func evaluate(_ values: [Double]) -> Double {
                var perturbed = sets
                let shape = set.values[parameterIndex]
                perturbed[setIndex].setValue(Matrix(rows: shape.rows, columns: shape.columns, elements: values),
                                             at: parameterIndex)
                let tape = Tape()
                let bound = perturbed.map { $0.bind(to: tape) }
                return tape.scalar(try! loss(tape, bound))
            }
            let error = FiniteDifference.maxError(analytic: analytic[parameterIndex].elements, of: evaluate,
                                                  at: set.values[parameterIndex].elements)
            XCTAssert(error <= tolerance, "\(set.names[parameterIndex]): gradient error \(error) > \(tolerance)",
                      file: file, line: line)
        }
    }
}
