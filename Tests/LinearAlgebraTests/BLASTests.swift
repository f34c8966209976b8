import LinearAlgebra
import TestSupport
import XCTest

final class BLASTests: XCTestCase {
    /// Reference product by the textbook triple loop.
    private func naiveProduct(_ a: Matrix, _ b: Matrix) -> Matrix {
        var c = Matrix(rows: a.rows, columns: b.columns)
        for i in 0..<a.rows {
            for j in 0..<b.columns {
                var total = 0.0
                for k in 0..<a.columns { total += a[i, k] * b[k, j] }
                c[i, j] = total
            }
        }
        return c
    }

    func testGemmMatchesNaiveProductForEveryTransposeCombination() {
        propertySweep(seeds: 0..<4, shapes: [(1, 1, 1), (3, 5, 2), (7, 4, 9)]) { sweep, shape in
            let (m, k, n) = shape
            let a = GaussianSampling.matrix(rows: m, columns: k, using: &sweep.generator)
            let b = GaussianSampling.matrix(rows: k, columns: n, using: &sweep.generator)
            let expected = naiveProduct(a, b)
            // 1e-12: a sum of at most 9 unit-scale products, each rounded once.
            assertClose(BLAS.product(a, b), expected, tolerance: 1e-12)
            assertClose(BLAS.product(a.transposed, transposeA: true, b), expected, tolerance: 1e-12)
            assertClose(BLAS.product(a, b.transposed, transposeB: true), expected, tolerance: 1e-12)
            assertClose(BLAS.product(a.transposed, transposeA: true, b.transposed, transposeB: true), expected,
                        tolerance: 1e-12)
        }
    }

    func testGemmAccumulatesWithBeta() {
        let a = Matrix(rowVectors: [[1, 2], [3, 4]])
        var c = Matrix(rowVectors: [[1, 1], [1, 1]])
        BLAS.gemm(a, Matrix.identity(2), alpha: 2, beta: 3, into: &c)
        XCTAssertEqual(c, Matrix(rowVectors: [[5, 7], [9, 11]]))
    }

    func testGemvMatchesGemm() {
        propertySweep(seeds: 0..<4) { sweep in
            let a = GaussianSampling.matrix(rows: 6, columns: 4, using: &sweep.generator)
            let x = GaussianSampling.vector(count: 4, using: &sweep.generator)
            let y = GaussianSampling.vector(count: 6, using: &sweep.generator)
            assertClose(BLAS.product(a, x), BLAS.product(a, Matrix(rows: 4, columns: 1, elements: x)).elements,
                        tolerance: 1e-13)
            assertClose(BLAS.product(a, transposeA: true, y),
                        BLAS.product(a, transposeA: true, Matrix(rows: 6, columns: 1, elements: y)).elements,
                        tolerance: 1e-13)
        }
    }

    func testGramIsExactlySymmetricAndPositiveSemidefinite() throws {
        try propertySweep(seeds: 0..<6, shapes: [(5, 3), (4, 8)]) { sweep, shape in
            let a = GaussianSampling.matrix(rows: shape.0, columns: shape.1, using: &sweep.generator)
            let gram = BLAS.gram(a)
            XCTAssertEqual(gram, gram.transposed, "Gram matrix must be bit-symmetric")
            assertClose(gram, BLAS.product(a, a, transposeB: true), tolerance: 1e-12)
            let eigenvalues = try SymmetricEigendecomposition(gram).eigenvalues
            // Rank-deficient Gram matrices have zero eigenvalues computed to about eps * |A|^2.
            XCTAssertGreaterThanOrEqual(eigenvalues.min()!, -1e-10 * max(1, eigenvalues.max()!))
        }
    }

    func testDotNormAxpy() {
        XCTAssertEqual(BLAS.dot([1, 2, 3], [4, 5, 6]), 32)
        XCTAssertEqual(BLAS.norm([3, 4]), 5, accuracy: 1e-15)
        var y = [1.0, 1.0]
        BLAS.axpy(2, [1, 2], &y)
        XCTAssertEqual(y, [3, 5])
    }
}
