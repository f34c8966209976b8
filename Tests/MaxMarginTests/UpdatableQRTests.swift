import LinearAlgebra
@testable import MaxMargin
import TestSupport
import XCTest

final class UpdatableQRTests: XCTestCase {
    func testAppendsAndDeletionsKeepAnOrthonormalFactorisationOfTheCurrentColumns() {
        propertySweep(seeds: 0..<6, shapes: [(12, 20), (30, 40)]) { sweep, shape in
            let (poolSize, length) = shape
            let pool = GaussianSampling.matrix(rows: poolSize, columns: length, using: &sweep.generator)
            var members: [Int] = []
            var factor = UpdatableQR(length: length, capacity: poolSize)
            // A random walk of appends and deletions, compared after each change with the current columns
            // (rows of `pool`) and with a direct LAPACK Cholesky solve of their Gram matrix.
            for _ in 0..<(3 * poolSize) {
                let outside = (0..<poolSize).filter { !members.contains($0) }
                if !outside.isEmpty && (members.count < 2 || Double.random(in: 0..<1, using: &sweep.generator) < 0.6) {
                    let next = outside.randomElement(using: &sweep.generator)!
                    XCTAssertTrue(factor.append(pool.row(next)))
                    members.append(next)
                } else {
                    let position = Int.random(in: 0..<members.count, using: &sweep.generator)
                    factor.remove(at: position)
                    members.remove(at: position)
                }
                let s = members.count
                let qt = factor.transposedBasis  // s x m
                var r = Matrix(rows: s, columns: s)
                for i in 0..<s { for j in i..<s { r[i, j] = factor.entry(i, j) } }
                for i in 0..<s { XCTAssertGreaterThan(r[i, i], 0) }
                // Orthogonality and reconstruction to a few eps per change (at most 120 changes, entries ~ 1).
                assertClose(BLAS.gram(qt), Matrix.identity(s), tolerance: 1e-13)
                let columns = pool.selectingRows(members)  // A^T, s x m
                assertClose(BLAS.product(r, transposeA: true, qt), columns, tolerance: 1e-12)
                let b = GaussianSampling.vector(count: s, using: &sweep.generator)
                let expected = try! CholeskyFactorization(BLAS.gram(columns)).solve(b)
                // Both are backward stable; Gram matrices of these Gaussian rows have condition numbers
                // below 1e3, so the two solutions agree to about 1e-13.
                assertClose(factor.solveGram(b), expected, tolerance: 1e-10)
            }
        }
    }

    func testDependentColumnIsRefusedAndLeavesTheFactorisationUnchanged() {
        var factor = UpdatableQR(length: 3, capacity: 3)
        XCTAssertTrue(factor.append([1, 0, 0]))
        XCTAssertTrue(factor.append([1, 1, 0]))
        let before = factor.transposedBasis
        XCTAssertFalse(factor.append([2, 3, 0]), "in the span of the first two")
        XCTAssertFalse(factor.append([0, 0, 0]), "zero")
        XCTAssertEqual(factor.size, 2)
        XCTAssertEqual(factor.transposedBasis, before)
        XCTAssertEqual(factor.entry(0, 1), 1)
        XCTAssertEqual(factor.entry(1, 1), 1)
        var full = UpdatableQR(length: 2, capacity: 1)
        XCTAssertTrue(full.append([1, 0]))
        XCTAssertFalse(full.append([0, 1]), "capacity reached")
    }

    func testNearlyParallelColumnKeepsItsSmallPivotAccurately() {
        // v2 = v1 + 1e-8 e_2: the new direction has length 1e-8, which a Gram-based update would compute
        // from 2 - (2 - 1e-16) and lose entirely; Gram-Schmidt twice gets it to full relative accuracy.
        var factor = UpdatableQR(length: 2, capacity: 2)
        XCTAssertTrue(factor.append([1, 0]))
        XCTAssertTrue(factor.append([1, 1e-8]))
        XCTAssertEqual(factor.entry(1, 1), 1e-8, accuracy: 1e-22)
    }
}
