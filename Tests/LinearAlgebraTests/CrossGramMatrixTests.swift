import LinearAlgebra
import TestSupport
import XCTest

final class CrossGramMatrixTests: XCTestCase {
    /// A block is the same dgemm on fewer rows of A: the same inner products summed over the same k.
    /// Only 1e-12 relative is relied on, since a BLAS may pick another micro-kernel for a short block
    /// (OpenBLAS here gives the kernel rows bit for bit, printed below, but not always K x and K G).
    let blockTolerance = 1e-12

    private func operands(seed: UInt64, m: Int, n: Int, d: Int) -> (Matrix, Matrix) {
        var generator = SeededGenerator(seed: seed)
        return (GaussianSampling.matrix(rows: m, columns: d, using: &generator),
                GaussianSampling.matrix(rows: n, columns: d, using: &generator))
    }

    func testAWholeKernelIsExactlyTheProductTheSimulatorsUsedBefore() {
        let (a, b) = operands(seed: 1, m: 37, n: 23, d: 9)
        let kernel = CrossGramMatrix(left: a, right: b)
        XCTAssertTrue(kernel.isMaterialized)
        XCTAssertEqual(kernel.whole, BLAS.product(a, b, transposeB: true))
        var calls = 0
        kernel.forEachRowBlock { rows, block in
            calls += 1
            XCTAssertEqual(rows, 0..<37)
            XCTAssertEqual(block, kernel.whole)
        }
        XCTAssertEqual(calls, 1)
    }

    func testBlocksCoverEveryRowOnceAndAgreeWithTheWholeProduct() {
        var bitIdentical = true
        for (m, n, d, blockBytes) in [(37, 23, 9, 8 * 23 * 5), (100, 64, 16, 8 * 64 * 7), (5, 3, 2, 1)] {
            let (a, b) = operands(seed: UInt64(m), m: m, n: n, d: d)
            let whole = BLAS.product(a, b, transposeB: true)
            let blocked = CrossGramMatrix(left: a, right: b, budget: .init(maximumBytes: 0, blockBytes: blockBytes))
            XCTAssertFalse(blocked.isMaterialized)
            XCTAssertLessThan(blocked.residentBytes, 8 * m * n)
            var covered: [Int] = []
            blocked.forEachRowBlock { rows, block in
                XCTAssertEqual(block.rows, rows.count)
                XCTAssertEqual(block.columns, n)
                XCTAssertLessThanOrEqual(rows.count, blocked.blockRows)
                covered += Array(rows)
            }
            XCTAssertEqual(covered, Array(0..<m), "consecutive blocks, every row once")
            let materialized = blocked.materialized()
            assertClose(materialized, whole, tolerance: blockTolerance, "K \(m) x \(n)")
            bitIdentical = bitIdentical && materialized == whole

            let x = (0..<n).map { Double($0 % 7) - 3 }
            assertClose(blocked.product(x), BLAS.product(whole, x), tolerance: blockTolerance, "K x")
            var generator = SeededGenerator(seed: 9)
            let g = GaussianSampling.matrix(rows: n, columns: 11, using: &generator)
            let start = GaussianSampling.matrix(rows: m, columns: 11, using: &generator)
            var expected = start
            BLAS.gemm(whole, g, alpha: 0.3, beta: 1, into: &expected)
            var actual = start
            blocked.multiply(g, alpha: 0.3, beta: 1, into: &actual)
            assertClose(actual, expected, tolerance: blockTolerance, "C + alpha K G")
        }
        print("CrossGramMatrix: blocked kernel rows bit-identical to the whole product: \(bitIdentical)")
    }

    func testGemmIntoARowBlockLeavesTheOtherRowsAlone() {
        var generator = SeededGenerator(seed: 3)
        let a = GaussianSampling.matrix(rows: 3, columns: 4, using: &generator)
        let b = GaussianSampling.matrix(rows: 4, columns: 5, using: &generator)
        var c = Matrix(rows: 7, columns: 5, repeating: 2)
        BLAS.gemm(a, b, alpha: 1, beta: 1, into: &c, startingAtRow: 2)
        let product = BLAS.product(a, b)
        for i in 0..<7 {
            for j in 0..<5 {
                let expected = (2..<5).contains(i) ? 2 + product[i - 2, j] : 2
                XCTAssertEqual(c[i, j], expected, accuracy: 1e-14, "(\(i), \(j))")
            }
        }
        XCTAssertEqual(c.rows(2..<5).elements.count, 15)
    }

    func testSoftmaxOfSelectedRowsIsTheSoftmaxOfThoseRowsBitForBit() {
        var generator = SeededGenerator(seed: 8)
        let logits = GaussianSampling.matrix(rows: 300, columns: 400, scale: 4, using: &generator)
        let rows = [299, 0, 17, 17, 150]
        XCTAssertEqual(StableMath.rowSoftmax(logits, rows: rows), StableMath.rowSoftmax(logits).selectingRows(rows))
    }

    func testBytesSaturateInsteadOfTrapping() {
        XCTAssertEqual(CrossGramMatrix.bytes(rows: 20_000, columns: 20_000), 3_200_000_000)
        XCTAssertEqual(CrossGramMatrix.bytes(rows: Int.max / 2, columns: 3), Int.max)
    }
}
