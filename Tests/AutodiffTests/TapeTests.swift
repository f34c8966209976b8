import Autodiff
import LinearAlgebra
import TestSupport
import XCTest

/// Structural properties of the reverse sweep itself.
final class TapeTests: XCTestCase {
    func testFanOutSumsTheGradientsOfEveryUse() {
        let x = Matrix(rowVectors: [[1, -2], [3, 0.5]])
        let tape = Tape()
        let leaf = tape.parameter(x)
        // d/dx sum(x * x + x) = 2x + 1, exactly representable here.
        let loss = tape.sum(tape.add(tape.multiply(leaf, leaf), leaf))
        XCTAssertEqual(tape.gradients(of: loss)[leaf], Matrix(rowVectors: [[3, -3], [7, 2]]))
    }

    func testConstantsAndConstantOnlyNodesReceiveNoGradient() {
        let tape = Tape()
        let data = tape.constant(Matrix(rowVectors: [[1, 2]]))
        let weight = tape.parameter(Matrix(rowVectors: [[3], [4]]))
        let doubled = tape.scale(data, by: 2)
        XCTAssertFalse(tape.needsGradient(doubled))
        let loss = tape.sum(tape.matmul(doubled, weight))
        let gradients = tape.gradients(of: loss)
        XCTAssertFalse(gradients.reached(data))
        XCTAssertFalse(gradients.reached(doubled))
        XCTAssertEqual(gradients[data], Matrix(rows: 1, columns: 2))
        XCTAssertEqual(gradients[weight], Matrix(rowVectors: [[2], [4]]))
    }

    func testTheLossHasUnitGradientAndUnusedParametersGetZeros() {
        let tape = Tape()
        let used = tape.parameter(Matrix(rowVectors: [[2]]))
        let unused = tape.parameter(Matrix(rowVectors: [[5, 6]]))
        let loss = tape.scale(used, by: 3)
        let gradients = tape.gradients(of: loss)
        XCTAssertEqual(gradients[loss].elements, [1])
        XCTAssertEqual(gradients[used].elements, [3])
        XCTAssertFalse(gradients.reached(unused))
        XCTAssertEqual(gradients[unused], Matrix(rows: 1, columns: 2))
    }

    func testComposedMaskedAttentionMatchesFiniteDifferences() {
        // Two sequences of three positions, two heads of width 2, composed exactly as TinyLM composes them.
        propertySweep(seeds: 0..<3) { sweep in
            let q = GaussianSampling.matrix(rows: 6, columns: 4, using: &sweep.generator)
            let k = GaussianSampling.matrix(rows: 6, columns: 4, using: &sweep.generator)
            let v = GaussianSampling.matrix(rows: 6, columns: 4, using: &sweep.generator)
            let weights = GaussianSampling.matrix(rows: 6, columns: 4, using: &sweep.generator)
            checkGradients([q, k, v], "attention") { tape, x in
                func heads(_ y: Variable) -> Variable {
                    tape.concatRows([tape.sliceColumns(y, 0..<2), tape.sliceColumns(y, 2..<4)])  // 12 x 2
                }
                let scores = tape.scale(tape.blockMatmul(heads(x[0]), heads(x[1]), blocks: 4, transposeB: true),
                                        by: 1 / 2.0.squareRoot())  // 12 x 3
                let attention = tape.softmax(tape.causalMask(scores, blockRows: 3))  // 12 x 3
                let mixed = tape.blockMatmul(attention, heads(x[2]), blocks: 4)  // 12 x 2
                let merged = tape.concatColumns([tape.sliceRows(mixed, 0..<6), tape.sliceRows(mixed, 6..<12)])  // 6 x 4
                return contract(tape, merged, with: weights)
            }
        }
    }
}
