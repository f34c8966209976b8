import Autodiff
import LinearAlgebra
import TestSupport
import XCTest

/// Every primitive's pullback against central finite differences, over fixed seeds and a few shapes.
final class PrimitiveGradientTests: XCTestCase {
    private func gaussian(_ rows: Int, _ columns: Int, _ sweep: inout SweepCase, scale: Double = 1) -> Matrix {
        GaussianSampling.matrix(rows: rows, columns: columns, scale: scale, using: &sweep.generator)
    }

    func testMatmulForEveryTransposeCombination() {
        propertySweep(seeds: 0..<3, shapes: [(1, 1, 1), (3, 4, 2), (5, 2, 6)]) { sweep, shape in
            let (m, k, n) = shape
            for transposeA in [false, true] {
                for transposeB in [false, true] {
                    let a = transposeA ? gaussian(k, m, &sweep) : gaussian(m, k, &sweep)
                    let b = transposeB ? gaussian(n, k, &sweep) : gaussian(k, n, &sweep)
                    let weights = gaussian(m, n, &sweep)
                    checkGradients([a, b], "matmul tA=\(transposeA) tB=\(transposeB)") { tape, x in
                        contract(tape, tape.matmul(x[0], x[1], transposeA: transposeA, transposeB: transposeB),
                                 with: weights)
                    }
                }
            }
        }
    }

    func testMatmulOfAVariableWithItselfSumsBothPaths() {
        propertySweep(seeds: 0..<3) { sweep in
            let a = gaussian(4, 3, &sweep)
            let weights = gaussian(4, 4, &sweep)
            checkGradients([a], "X X^T") { tape, x in
                contract(tape, tape.matmul(x[0], x[0], transposeB: true), with: weights)
            }
        }
    }

    func testBlockMatmulWithAndWithoutTransposedRightFactor() {
        propertySweep(seeds: 0..<3, shapes: [(1, 2, 3, 2), (3, 4, 2, 3)]) { sweep, shape in
            let (blocks, leftRows, inner, rightRows) = shape
            let a = gaussian(blocks * leftRows, inner, &sweep)
            let bTransposed = gaussian(blocks * rightRows, inner, &sweep)
            let weightsScores = gaussian(blocks * leftRows, rightRows, &sweep)
            checkGradients([a, bTransposed], "blockMatmul transposeB") { tape, x in
                contract(tape, tape.blockMatmul(x[0], x[1], blocks: blocks, transposeB: true), with: weightsScores)
            }
            let b = gaussian(blocks * inner, rightRows, &sweep)
            let weights = gaussian(blocks * leftRows, rightRows, &sweep)
            checkGradients([a, b], "blockMatmul") { tape, x in
                contract(tape, tape.blockMatmul(x[0], x[1], blocks: blocks), with: weights)
            }
        }
    }

    func testBlockMatmulNeverMixesBlocks() {
        var generator = SeededGenerator(seed: 11)
        let a = GaussianSampling.matrix(rows: 4, columns: 3, using: &generator)
        let b = GaussianSampling.matrix(rows: 4, columns: 3, using: &generator)
        let tape = Tape()
        let product = tape.value(tape.blockMatmul(tape.constant(a), tape.constant(b), blocks: 2, transposeB: true))
        for block in 0..<2 {
            let expected = BLAS.product(a.selectingRows([2 * block, 2 * block + 1]),
                                        b.selectingRows([2 * block, 2 * block + 1]), transposeB: true)
            // Exact: the same gemm on the same two blocks.
            XCTAssertEqual(product.selectingRows([2 * block, 2 * block + 1]), expected)
        }
    }

    func testElementwiseArithmetic() {
        propertySweep(seeds: 0..<3, shapes: [(1, 1), (3, 4)]) { sweep, shape in
            let a = gaussian(shape.0, shape.1, &sweep)
            let b = gaussian(shape.0, shape.1, &sweep)
            let bias = gaussian(1, shape.1, &sweep)
            let weights = gaussian(shape.0, shape.1, &sweep)
            checkGradients([a, b], "add") { tape, x in contract(tape, tape.add(x[0], x[1]), with: weights) }
            checkGradients([a, b], "subtract") { tape, x in contract(tape, tape.subtract(x[0], x[1]), with: weights) }
            checkGradients([a, b], "multiply") { tape, x in contract(tape, tape.multiply(x[0], x[1]), with: weights) }
            checkGradients([a], "scale") { tape, x in contract(tape, tape.scale(x[0], by: -2.5), with: weights) }
            checkGradients([a, bias], "addRowVector") { tape, x in
                contract(tape, tape.addRowVector(x[0], x[1]), with: weights)
            }
        }
    }

    func testSmoothNonlinearities() {
        propertySweep(seeds: 0..<3, shapes: [(2, 3), (4, 5)]) { sweep, shape in
            // Scale 3 reaches both tails of GELU and of the sigmoid, not only the linear middle.
            let a = gaussian(shape.0, shape.1, &sweep, scale: 3)
            let weights = gaussian(shape.0, shape.1, &sweep)
            checkGradients([a], "gelu") { tape, x in contract(tape, tape.gelu(x[0]), with: weights) }
            checkGradients([a], "logSigmoid") { tape, x in contract(tape, tape.logSigmoid(x[0]), with: weights) }
            checkGradients([a], "softplus") { tape, x in contract(tape, tape.softplus(x[0]), with: weights) }
        }
    }

    func testLogSigmoidAndSoftplusStayFiniteInTheTails() {
        let tape = Tape()
        let x = tape.parameter(Matrix(rowVectors: [[-1000, 1000, 0]]))
        XCTAssertEqual(tape.value(tape.logSigmoid(x)).elements, [-1000, 0, -log(2)])
        XCTAssertEqual(tape.value(tape.softplus(x)).elements, [0, 1000, log(2)])
        let gradient = tape.gradients(of: tape.sum(tape.logSigmoid(x)))[x]
        // d/dx ln sigma(x) = sigma(-x): exactly 1, 0 and 1/2 here.
        XCTAssertEqual(gradient.elements, [1, 0, 0.5])
    }

    func testLayerNorm() {
        propertySweep(seeds: 0..<3, shapes: [(1, 2), (3, 5)]) { sweep, shape in
            let x = gaussian(shape.0, shape.1, &sweep, scale: 2)
            let gain = gaussian(1, shape.1, &sweep)
            let bias = gaussian(1, shape.1, &sweep)
            let weights = gaussian(shape.0, shape.1, &sweep)
            checkGradients([x, gain, bias], "layerNorm") { tape, v in
                contract(tape, tape.layerNorm(v[0], gain: v[1], bias: v[2]), with: weights)
            }
        }
    }

    func testLayerNormRowsHaveZeroMeanAndUnitVarianceBeforeTheAffineMap() {
        propertySweep(seeds: 0..<4) { sweep in
            let x = gaussian(3, 6, &sweep, scale: 5)
            let tape = Tape()
            let y = tape.value(tape.layerNorm(tape.constant(x), gain: tape.constant(Matrix(rows: 1, columns: 6, repeating: 1)),
                                              bias: tape.constant(Matrix(rows: 1, columns: 6)), epsilon: 1e-12))
            for i in 0..<3 {
                let row = y.row(i)
                let mean = row.reduce(0, +) / 6
                let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 6
                // 1e-12: rounding of six unit-scale terms; epsilon = 1e-12 shifts the variance by ~1e-12/var.
                XCTAssertEqual(mean, 0, accuracy: 1e-12)
                XCTAssertEqual(variance, 1, accuracy: 1e-10)
            }
        }
    }

    func testSoftmaxAndLogSoftmax() {
        propertySweep(seeds: 0..<3, shapes: [(1, 2), (3, 5)]) { sweep, shape in
            let x = gaussian(shape.0, shape.1, &sweep, scale: 3)
            let weights = gaussian(shape.0, shape.1, &sweep)
            checkGradients([x], "softmax") { tape, v in contract(tape, tape.softmax(v[0]), with: weights) }
            checkGradients([x], "logSoftmax") { tape, v in contract(tape, tape.logSoftmax(v[0]), with: weights) }
        }
    }

    func testLogSoftmaxDoesNotOverflowAndNormalizes() {
        let tape = Tape()
        let y = tape.value(tape.logSoftmax(tape.constant(Matrix(rowVectors: [[1000, 1000], [-1000, 0]]))))
        XCTAssertEqual(y[0, 0], -log(2), accuracy: 1e-15)
        XCTAssertEqual(y[1, 1], 0, accuracy: 1e-15)
        XCTAssertEqual(y[1, 0], -1000, accuracy: 1e-12)
    }

    func testCausalMaskFollowedBySoftmax() {
        propertySweep(seeds: 0..<3, shapes: [(1, 3), (2, 4)]) { sweep, shape in
            let (blocks, size) = shape
            let x = gaussian(blocks * size, size, &sweep)
            let weights = gaussian(blocks * size, size, &sweep)
            checkGradients([x], "causalMask + softmax") { tape, v in
                contract(tape, tape.softmax(tape.causalMask(v[0], blockRows: size)), with: weights)
            }
            // Exact structure: future positions get weight exactly 0 and pass exactly zero gradient.
            let tape = Tape()
            let leaf = tape.parameter(x)
            let probabilities = tape.softmax(tape.causalMask(leaf, blockRows: size))
            let gradient = tape.gradients(of: contract(tape, probabilities, with: weights))[leaf]
            let p = tape.value(probabilities)
            for row in 0..<(blocks * size) {
                for column in 0..<size where column > row % size {
                    XCTAssertEqual(p[row, column], 0)
                    XCTAssertEqual(gradient[row, column], 0)
                }
            }
        }
    }

    func testIndexingPrimitives() {
        propertySweep(seeds: 0..<3) { sweep in
            let x = gaussian(5, 4, &sweep)
            let y = gaussian(2, 4, &sweep)
            let z = gaussian(5, 3, &sweep)
            // Repeated indices: the scatter-add must sum both contributions.
            let indices = [3, 0, 3, 4]
            let gatherWeights = gaussian(indices.count, 4, &sweep)
            checkGradients([x], "gatherRows") { tape, v in contract(tape, tape.gatherRows(v[0], indices), with: gatherWeights) }
            let sliceWeights = gaussian(2, 4, &sweep)
            checkGradients([x], "sliceRows") { tape, v in contract(tape, tape.sliceRows(v[0], 1..<3), with: sliceWeights) }
            let rowsWeights = gaussian(7, 4, &sweep)
            checkGradients([x, y], "concatRows") { tape, v in contract(tape, tape.concatRows([v[0], v[1]]), with: rowsWeights) }
            let columnWeights = gaussian(5, 2, &sweep)
            checkGradients([x], "sliceColumns") { tape, v in
                contract(tape, tape.sliceColumns(v[0], 1..<3), with: columnWeights)
            }
            let concatWeights = gaussian(5, 7, &sweep)
            checkGradients([x, z], "concatColumns") { tape, v in
                contract(tape, tape.concatColumns([v[0], v[1]]), with: concatWeights)
            }
            let elementWeights = gaussian(3, 1, &sweep)
            checkGradients([x], "gatherElements") { tape, v in
                contract(tape, tape.gatherElements(v[0], rows: [0, 4, 0], columns: [1, 2, 1]), with: elementWeights)
            }
        }
    }

    func testSlicingColumnBlocksAndConcatenatingThemBackIsTheIdentity() {
        var generator = SeededGenerator(seed: 5)
        let x = GaussianSampling.matrix(rows: 3, columns: 6, using: &generator)
        let tape = Tape()
        let leaf = tape.constant(x)
        let heads = (0..<3).map { tape.sliceColumns(leaf, (2 * $0)..<(2 * $0 + 2)) }
        XCTAssertEqual(tape.value(tape.concatColumns(heads)), x)
        let stacked = tape.concatRows(heads)
        let unstacked = tape.concatColumns((0..<3).map { tape.sliceRows(stacked, (3 * $0)..<(3 * $0 + 3)) })
        XCTAssertEqual(tape.value(unstacked), x)
    }

    func testReductions() {
        propertySweep(seeds: 0..<3) { sweep in
            let x = gaussian(3, 4, &sweep)
            checkGradients([x], "sum") { tape, v in tape.sum(v[0]) }
            checkGradients([x], "mean") { tape, v in tape.mean(v[0]) }
        }
    }
}
