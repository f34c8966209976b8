import Autodiff
import LinearAlgebra
import TestSupport
import XCTest

/// A float32 tape against a float64 one, and tapes with several threads against one thread.
final class PrecisionAndThreadsTests: XCTestCase {
    /// Each primitive once, on inputs large enough that the row-wise kernels are cut into several chunks
    /// (more than 16 K entries per matrix), composed into one scalar: the value and the gradient of each
    /// input.
    private func everyPrimitive(precision: Precision, threads: Int, seed: UInt64) -> (loss: Double, gradients: [Matrix]) {
        var generator = SeededGenerator(seed: seed)
        let rows = 600
        let x = GaussianSampling.matrix(rows: rows, columns: 48, using: &generator)  // rows x 48
        let w = GaussianSampling.matrix(rows: 48, columns: 3 * 32, scale: 0.2, using: &generator)  // 48 x 96
        let b = GaussianSampling.matrix(rows: 1, columns: 3 * 32, using: &generator)
        let gain = GaussianSampling.matrix(rows: 1, columns: 48, using: &generator)
        let shift = GaussianSampling.matrix(rows: 1, columns: 48, using: &generator)
        let up = GaussianSampling.matrix(rows: 32, columns: 64, scale: 0.3, using: &generator)  // 32 x 64
        let weights = GaussianSampling.matrix(rows: rows, columns: 64, using: &generator)
        let tape = Tape(precision: precision, threads: threads)
        let leaves = [x, w, b, gain, shift, up].map { tape.parameter($0) }
        let normed = tape.layerNorm(leaves[0], gain: leaves[3], bias: leaves[4])  // rows x 48
        let qkv = tape.linear(normed, leaves[1], leaves[2])  // rows x 96
        let attended = tape.causalSelfAttention(qkv, heads: 4, sequenceLength: 20)  // rows x 32, 30 sequences
        let expanded = tape.gelu(tape.matmul(attended, leaves[5]))  // rows x 64
        let logProbabilities = tape.logSoftmax(expanded)  // rows x 64
        let probabilities = tape.softmax(tape.multiply(expanded, tape.constant(weights)))  // rows x 64
        let mixed = tape.add(tape.scale(logProbabilities, by: 0.01), tape.subtract(probabilities, expanded))
        let margins = tape.sliceColumns(tape.gatherRows(mixed, Array(stride(from: 0, to: rows, by: 3))), 0..<1)
        let loss = tape.add(tape.mean(tape.logSigmoid(margins)), tape.mean(tape.softplus(tape.sliceRows(mixed, 0..<5))))
        let gradients = tape.gradients(of: loss)
        return (tape.scalar(loss), leaves.map { gradients[$0] })
    }

    func testResultsDoNotDependOnTheThreadCount() {
        for precision in Precision.allCases {
            let serial = everyPrimitive(precision: precision, threads: 1, seed: 1)
            for threads in [2, 3, 8] {
                let parallel = everyPrimitive(precision: precision, threads: threads, seed: 1)
                // Exact: the work is cut by shape alone and every piece rounds as in the serial loop.
                XCTAssertEqual(parallel.loss, serial.loss, "\(precision) on \(threads) threads")
                XCTAssertEqual(parallel.gradients, serial.gradients, "\(precision) on \(threads) threads")
            }
        }
    }

    /// float32 agrees with float64 to float32 rounding. Each value here is a chain of about ten
    /// operations whose longest sums have 48 to 64 terms of unit size; a sum of n terms rounded in float32
    /// is off by at most about n u |terms| (u = 2^-24 = 6e-8, n u = 4e-6) and typically sqrt(n) u = 5e-7,
    /// and the backward pass chains about twice as many. Measured: 1e-7 to 8e-6 relative to the largest
    /// entry of a gradient. 1e-4 stays above the worst case of the bound, while a kernel that rounds in
    /// the wrong place or drops a term is off by 1e-2 or more.
    func testFloat32AgreesWithFloat64ToFloat32Rounding() {
        let tolerance = 1e-4
        for seed: UInt64 in 0..<3 {
            let exact = everyPrimitive(precision: .float64, threads: 1, seed: seed)
            let single = everyPrimitive(precision: .float32, threads: 1, seed: seed)
            XCTAssertLessThan(abs(single.loss - exact.loss), tolerance * max(1, abs(exact.loss)), "seed \(seed)")
            XCTAssertNotEqual(single.loss, exact.loss, "seed \(seed): float32 must actually round")
            for (index, (a, b)) in zip(single.gradients, exact.gradients).enumerated() {
                let error = (a - b).maxAbs / max(b.maxAbs, 1e-300)
                XCTAssertLessThan(error, tolerance, "seed \(seed), gradient of input \(index)")
            }
        }
    }

    func testTallProductsCutInTwoAgreeWithTheUncutGemmOnEveryThreadCount() {
        // 1100 rows: cut into two halves of 550 (each gemm its own thread); the value must be the uncut
        // dgemm's bit for bit, and the gradients the same on one thread and on two.
        var generator = SeededGenerator(seed: 4)
        let x = GaussianSampling.matrix(rows: 1100, columns: 64, using: &generator)
        let w = GaussianSampling.matrix(rows: 64, columns: 48, using: &generator)
        let weights = GaussianSampling.matrix(rows: 1100, columns: 48, using: &generator)
        var results: [[Matrix]] = []
        for threads in [1, 2] {
            let tape = Tape(threads: threads)
            let (a, b) = (tape.parameter(x), tape.parameter(w))
            let y = tape.matmul(a, b)
            let gradients = tape.gradients(of: contract(tape, y, with: weights))
            XCTAssertEqual(tape.value(y), BLAS.product(x, w), "\(threads) threads")
            results.append([tape.value(y), gradients[a], gradients[b]])
        }
        XCTAssertEqual(results[0], results[1])
    }

    func testFloat32TapeRoundsItsLeavesAndHandsBackDoubles() {
        let tape = Tape(precision: .float32)
        let third = tape.constant(Matrix(rowVectors: [[1.0 / 3]]))
        XCTAssertEqual(tape.precision, .float32)
        XCTAssertEqual(tape.scalar(third), Double(Float(1.0 / 3)))
        XCTAssertNotEqual(tape.scalar(third), 1.0 / 3)
    }
}
