import LinearAlgebra
import TestSupport
import XCTest

/// The triangular attention-block products: bit for bit the index-ordered sums their documentation
/// states, close to gemm on the full matrices (upper triangle of L zeroed), never reading L above the
/// diagonal (NaNs there stay out of the result), and writing C without reading it unless accumulating.
final class CausalBlockProductsTests: XCTestCase {
    /// (t, k or n, extra row stride): one position, sizes below, at and above the kernels' eight-wide
    /// groups, odd ones, and the Hamiltonian run's 37 x 8.
    private let shapes = [(1, 1, 0), (3, 5, 2), (8, 8, 0), (9, 16, 3), (17, 13, 1), (37, 8, 5)]

    func testFloat64() {
        check(Double.self)
    }

    func testFloat32() {
        check(Float.self)
    }

    private func check<S: BLASScalar>(_: S.Type) {
        propertySweep(seeds: 0..<2, shapes: shapes) { sweep, shape in
            let (t, width, pad) = shape
            func block(_ rows: Int, stride: Int) -> [S] {
                GaussianSampling.matrix(rows: rows, columns: stride, using: &sweep.generator).elements.map { S($0) }
            }
            let ld = width + pad  // row stride of the t x width blocks
            let a = block(t, stride: ld)
            let b = block(t, stride: ld)
            let x = block(t, stride: ld)
            var lower = block(t, stride: t)  // L, with NaN above the diagonal: never read
            for i in 0..<t { for j in (i + 1)..<max(t, i + 1) { lower[i * t + j] = .nan } }
            let start = block(t, stride: ld)  // the C that `accumulate` adds to

            // The sums in the documented order, one rounding per operation (Swift does not fuse).
            var scores = [S](repeating: 0, count: t * t)
            var times = [S](repeating: 0, count: t * ld), transposeTimes = times
            for i in 0..<t {
                for j in 0...i {
                    var s: S = 0
                    for p in 0..<width { s += a[i * ld + p] * b[j * ld + p] }
                    scores[i * t + j] = s
                }
                for column in 0..<width {
                    var s: S = 0
                    for j in 0...i { s += lower[i * t + j] * x[j * ld + column] }
                    times[i * ld + column] = s
                    var u: S = 0
                    for r in i..<t { u += lower[r * t + i] * x[r * ld + column] }
                    transposeTimes[i * ld + column] = u
                }
            }

            var c = [S](repeating: .nan, count: t * t)
            var scratch = [S](repeating: 0, count: t * width)
            S.lowerProductTransposed(t: t, k: width, a: a, lda: ld, b: b, ldb: ld, c: &c, ldc: t, scratch: &scratch)
            for i in 0..<t { for j in 0...i { XCTAssertEqual(c[i * t + j], scores[i * t + j], "S[\(i), \(j)]") } }

            // Written over NaNs (never read), or added to `start` as gemm with beta = 1: C + sum, one rounding.
            for accumulate in [false, true] {
                var byTimes = accumulate ? start : [S](repeating: .nan, count: start.count)
                var byTransposeTimes = byTimes
                S.lowerTimes(t: t, n: width, l: lower, ldl: t, x: x, ldx: ld, accumulate: accumulate, c: &byTimes, ldc: ld)
                S.lowerTransposeTimes(t: t, n: width, l: lower, ldl: t, x: x, ldx: ld, accumulate: accumulate,
                                      c: &byTransposeTimes, ldc: ld)
                for i in 0..<t {
                    for column in 0..<width {
                        let index = i * ld + column
                        let base: S = accumulate ? start[index] : 0
                        XCTAssertEqual(byTimes[index], accumulate ? base + times[index] : times[index],
                                       "L X [\(i), \(column)], accumulate \(accumulate)")
                        XCTAssertEqual(byTransposeTimes[index],
                                       accumulate ? base + transposeTimes[index] : transposeTimes[index],
                                       "L^T X [\(i), \(column)], accumulate \(accumulate)")
                    }
                }
            }

            // Against gemm on the full matrices, L's upper triangle zeroed: the same sums, another order.
            var zeroedLower = lower
            for index in zeroedLower.indices where zeroedLower[index].isNaN { zeroedLower[index] = 0 }
            var full = [S](repeating: 0, count: t * t)
            S.gemm(transposeA: false, transposeB: true, m: t, n: t, k: width, alpha: 1, a: a, lda: ld, b: b, ldb: ld,
                   beta: 0, c: &full, ldc: t)
            var product = [S](repeating: 0, count: t * ld)
            S.gemm(transposeA: false, transposeB: false, m: t, n: width, k: t, alpha: 1, a: zeroedLower, lda: t, b: x,
                   ldb: ld, beta: 0, c: &product, ldc: ld)
            var transposeProduct = [S](repeating: 0, count: t * ld)
            S.gemm(transposeA: true, transposeB: false, m: t, n: width, k: t, alpha: 1, a: zeroedLower, lda: t, b: x,
                   ldb: ld, beta: 0, c: &transposeProduct, ldc: ld)
            // Two orders of the same sum of at most max(t, k) = 37 Gaussian products differ by at most about
            // 2 * 37 u * (sum of |terms|), and that sum is below 37 * 16 here: 2^14 u is a safe bound.
            let tolerance = 16_384 * S.ulpOfOne
            for i in 0..<t {
                for j in 0...i { XCTAssertLessThanOrEqual(abs(c[i * t + j] - full[i * t + j]), tolerance, "S vs gemm") }
                for column in 0..<width {
                    let index = i * ld + column
                    XCTAssertLessThanOrEqual(abs(times[index] - product[index]), tolerance, "L X vs gemm")
                    XCTAssertLessThanOrEqual(abs(transposeTimes[index] - transposeProduct[index]), tolerance,
                                             "L^T X vs gemm")
                }
            }
        }
    }
}
