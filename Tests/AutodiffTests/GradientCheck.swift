import Autodiff
import LinearAlgebra
import TestSupport
import XCTest

/// Central differences at h = 1e-5 on smooth functions of unit-scale inputs err by about 1e-10
/// (truncation h^2 f''' / 6 plus rounding eps |f| / h); 1e-7 leaves three orders of margin, while a wrong
/// or missing pullback term is of order 1e-1 and fails by six orders.
let primitiveGradientTolerance = 1e-7

/// Builds `loss` on a fresh tape from the inputs (each a parameter leaf), and compares the tape's
/// gradient with respect to every input with central finite differences of the same function.
/// Returns the worst error in the `FiniteDifference.maxError` sense.
@discardableResult
func checkGradients(
    _ inputs: [Matrix], tolerance: Double = primitiveGradientTolerance, _ label: String = "",
    file: StaticString = #filePath, line: UInt = #line,
    loss: (Tape, [Variable]) -> Variable
) -> Double {
    let shapes = inputs.map { ($0.rows, $0.columns) }
    func unflatten(_ flat: [Double]) -> [Matrix] {
        var offset = 0
        return shapes.map { shape in
            let count = shape.0 * shape.1
            defer { offset += count }
            return Matrix(rows: shape.0, columns: shape.1, elements: Array(flat[offset..<(offset + count)]))
        }
    }
    func evaluate(_ flat: [Double]) -> Double {
        let tape = Tape()
        let leaves = unflatten(flat).map { tape.parameter($0) }
        return tape.scalar(loss(tape, leaves))
    }
    let tape = Tape()
    let leaves = inputs.map { tape.parameter($0) }
    let gradients = tape.gradients(of: loss(tape, leaves))
    let analytic = leaves.flatMap { gradients[$0].elements }
    let flat = inputs.flatMap(\.elements)
    let error = FiniteDifference.maxError(analytic: analytic, of: evaluate, at: flat)
    XCTAssert(error <= tolerance, "\(label): gradient error \(error) > \(tolerance)", file: file, line: line)
    return error
}

/// sum(W * Y) for a fixed random W: a scalar whose gradient with respect to Y is W, so every entry of a
/// matrix-valued primitive's pullback is exercised with a different weight.
func contract(_ tape: Tape, _ y: Variable, with weights: Matrix) -> Variable {
    tape.sum(tape.multiply(y, tape.constant(weights)))
}
