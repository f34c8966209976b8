import Autodiff
import LinearAlgebra
import TestSupport
import XCTest

/// The fused kernels (`causalSelfAttention`, `linear`): gradients against central differences, and
/// values and gradients equal to the primitive compositions they replace (`linear` bit for bit, the
/// attention to rounding: its products sum the kept triangle in index order, gemm in its own order).
final class AttentionAndLinearTests: XCTestCase {
    /// The composition TinyLM recorded before the fused kernel: heads sliced and stacked, scores by
    /// `blockMatmul`, `scale`, `causalMask`, `softmax`, weighted values by `blockMatmul`, heads merged.
    private func composedAttention(_ tape: Tape, _ qkv: Variable, heads: Int, width: Int, sequences: Int,
                                   length: Int) -> Variable
    {
        let headWidth = width / heads
        let rows = sequences * length
        func stacked(_ offset: Int) -> Variable {
            tape.concatRows((0..<heads).map { head in
                tape.sliceColumns(qkv, (offset + head * headWidth)..<(offset + (head + 1) * headWidth))
            })  // (H N) x d_h
        }
        let scores = tape.scale(tape.blockMatmul(stacked(0), stacked(width), blocks: heads * sequences, transposeB: true),
                                by: 1 / Double(headWidth).squareRoot())  // (H N) x T
        let weights = tape.softmax(tape.causalMask(scores, blockRows: length))  // (H N) x T
        let mixed = tape.blockMatmul(weights, stacked(2 * width), blocks: heads * sequences)  // (H N) x d_h
        return tape.concatColumns((0..<heads).map { tape.sliceRows(mixed, ($0 * rows)..<(($0 + 1) * rows)) })  // N x d
    }

    func testCausalSelfAttentionGradientMatchesFiniteDifferences() {
        // (heads, width, sequences, length): one head and one position, and several of each.
        propertySweep(seeds: 0..<3, shapes: [(1, 2, 1, 1), (2, 4, 2, 3), (3, 6, 3, 4)]) { sweep, shape in
            let (heads, width, sequences, length) = shape
            let qkv = GaussianSampling.matrix(rows: sequences * length, columns: 3 * width, using: &sweep.generator)
            let weights = GaussianSampling.matrix(rows: sequences * length, columns: width, using: &sweep.generator)
            checkGradients([qkv], "causalSelfAttention \(shape)") { tape, x in
                contract(tape, tape.causalSelfAttention(x[0], heads: heads, sequenceLength: length), with: weights)
            }
        }
    }

    func testCausalSelfAttentionIsTheCompositionToRounding() {
        // The same sums in another order: a value or gradient entry here is a chain of a few sums of at
        // most 16 unit-size terms, so the two differ by some 16 u = 4e-15 each step; 1e-12 is far above
        // that and far below what a dropped or misplaced term gives (1e-2 and more). The lengths include
        // one above eight (the kernels' group width) and the Hamiltonian run's 37 x 8 blocks.
        propertySweep(seeds: 0..<3, shapes: [(2, 4, 2, 3), (4, 16, 3, 7), (2, 16, 2, 11), (4, 32, 2, 37)]) { sweep, shape in
            let (heads, width, sequences, length) = shape
            let qkv = GaussianSampling.matrix(rows: sequences * length, columns: 3 * width, using: &sweep.generator)
            let weights = GaussianSampling.matrix(rows: sequences * length, columns: width, using: &sweep.generator)
            func run(fused: Bool) -> (value: Matrix, gradient: Matrix) {
                let tape = Tape()
                let input = tape.parameter(qkv)
                let output = fused
                    ? tape.causalSelfAttention(input, heads: heads, sequenceLength: length)
                    : composedAttention(tape, input, heads: heads, width: width, sequences: sequences, length: length)
                let gradients = tape.gradients(of: contract(tape, output, with: weights))
                return (tape.value(output), gradients[input])
            }
            let fused = run(fused: true)
            let composed = run(fused: false)
            assertClose(fused.value, composed.value, tolerance: 1e-12, "value")
            assertClose(fused.gradient, composed.gradient, tolerance: 1e-12, "gradient")
        }
    }

    func testAttentionOfALaterPositionNeverReachesAnEarlierOne() {
        // Causality: perturbing the last position of a sequence leaves every earlier output row and the
        // other sequences' rows bit-identical.
        var generator = SeededGenerator(seed: 5)
        var qkv = GaussianSampling.matrix(rows: 2 * 4, columns: 3 * 4, using: &generator)
        let tape = Tape()
        let before = tape.value(tape.causalSelfAttention(tape.constant(qkv), heads: 2, sequenceLength: 4))
        for column in 0..<qkv.columns { qkv[3, column] += 1 }
        let after = tape.value(tape.causalSelfAttention(tape.constant(qkv), heads: 2, sequenceLength: 4))
        for row in [0, 1, 2, 4, 5, 6, 7] { XCTAssertEqual(before.row(row), after.row(row), "row \(row)") }
        XCTAssertNotEqual(before.row(3), after.row(3))
    }

    func testLinearGradientAndEqualityWithMatmulPlusBias() {
        propertySweep(seeds: 0..<3, shapes: [(1, 1, 1), (4, 3, 5)]) { sweep, shape in
            let (m, k, n) = shape
            let x = GaussianSampling.matrix(rows: m, columns: k, using: &sweep.generator)
            let w = GaussianSampling.matrix(rows: k, columns: n, using: &sweep.generator)
            let b = GaussianSampling.matrix(rows: 1, columns: n, using: &sweep.generator)
            let weights = GaussianSampling.matrix(rows: m, columns: n, using: &sweep.generator)
            checkGradients([x, w, b], "linear \(shape)") { tape, v in
                contract(tape, tape.linear(v[0], v[1], v[2]), with: weights)
            }
            func run(fused: Bool) -> [Matrix] {
                let tape = Tape()
                let leaves = [x, w, b].map { tape.parameter($0) }
                let y = fused ? tape.linear(leaves[0], leaves[1], leaves[2])
                    : tape.addRowVector(tape.matmul(leaves[0], leaves[1]), leaves[2])
                let gradients = tape.gradients(of: contract(tape, y, with: weights))
                return [tape.value(y)] + leaves.map { gradients[$0] }
            }
            XCTAssertEqual(run(fused: true), run(fused: false))
        }
    }
}
