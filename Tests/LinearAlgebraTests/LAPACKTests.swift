import LinearAlgebra
import TestSupport
import XCTest

final class LAPACKTests: XCTestCase {
    private func randomSPD(_ n: Int, using generator: inout SeededGenerator) -> Matrix {
        let a = GaussianSampling.matrix(rows: n, columns: n, using: &generator)
        return BLAS.gram(a) + Double(n) * Matrix.identity(n)
    }

    func testEigendecompositionReconstructsAndIsOrthonormal() throws {
        try propertySweep(seeds: 0..<6, shapes: [1, 4, 9]) { sweep, n in
            let a = randomSPD(n, using: &sweep.generator) - 2.0 * Matrix.identity(n)
            let eigen = try SymmetricEigendecomposition(a)
            let q = eigen.eigenvectors
            var scaled = q
            for i in 0..<n { for j in 0..<n { scaled[i, j] *= eigen.eigenvalues[j] } }
            // Backward-stable: error of a few eps times |A| (entries here are at most about 3n).
            assertClose(BLAS.product(scaled, q, transposeB: true), a, tolerance: 1e-11)
            assertClose(BLAS.product(q, transposeA: true, q), Matrix.identity(n), tolerance: 1e-12)
            XCTAssertEqual(eigen.eigenvalues, eigen.eigenvalues.sorted())
        }
    }

    func testCholeskySolves() throws {
        try propertySweep(seeds: 0..<6, shapes: [1, 3, 8]) { sweep, n in
            let a = randomSPD(n, using: &sweep.generator)
            let x = GaussianSampling.vector(count: n, using: &sweep.generator)
            let b = BLAS.product(a, x)
            let cholesky = try CholeskyFactorization(a)
            assertClose(try cholesky.solve(b), x, tolerance: 1e-10)
            assertClose(BLAS.product(cholesky.lower, cholesky.lower, transposeB: true), a, tolerance: 1e-12)
            for i in 0..<n { for j in (i + 1)..<max(n, i + 1) { XCTAssertEqual(cholesky.lower[i, j], 0) } }
        }
    }

    func testLUSolves() throws {
        try propertySweep(seeds: 0..<6, shapes: [2, 5]) { sweep, n in
            let a = GaussianSampling.matrix(rows: n, columns: n, using: &sweep.generator) + Double(n) * .identity(n)
            let x = GaussianSampling.vector(count: n, using: &sweep.generator)
            assertClose(try LinearSolve.solve(a, BLAS.product(a, x)), x, tolerance: 1e-10)
        }
    }

    func testSingularMatrixIsAThrownErrorNamingTheRoutine() {
        let singular = Matrix(rowVectors: [[1, 2], [2, 4]])
        XCTAssertThrowsError(try LinearSolve.solve(singular, [1, 1])) { error in
            guard case let LinearAlgebraError.lapack(routine, info, _) = error else {
                return XCTFail("expected a LAPACK error, got \(error)")
            }
            XCTAssertEqual(routine, "dgesv")
            XCTAssertEqual(info, 2)
        }
        XCTAssertThrowsError(try CholeskyFactorization(singular)) { error in
            guard case let LinearAlgebraError.lapack(routine, info, _) = error else {
                return XCTFail("expected a LAPACK error, got \(error)")
            }
            XCTAssertEqual(routine, "dpotrf")
            XCTAssertEqual(info, 2)
        }
        XCTAssertThrowsError(try CholeskyFactorization(Matrix(rowVectors: [[-1]])))
        XCTAssertThrowsError(try SymmetricEigendecomposition(Matrix(rows: 2, columns: 3)))
        XCTAssertThrowsError(try SymmetricEigendecomposition(Matrix(rowVectors: [[.nan]])))
    }
}
