import CLAPACK

/// Level-2 and level-3 BLAS on `Matrix` (row-major CBLAS calls).
///
/// `gemm` is the one kernel every simulator step is written in, so the closed forms run at the
/// machine's dgemm rate. Shapes are checked up front with messages naming both operands.
public enum BLAS {
    /// C <- alpha * op(A) * op(B) + beta * C, where op(X) is X or its transpose.
    public static func gemm(
        _ a: Matrix, transposeA: Bool = false, _ b: Matrix, transposeB: Bool = false,
        alpha: Double = 1, beta: Double = 0, into c: inout Matrix
    ) {
        let m = transposeA ? a.columns : a.rows
        let n = transposeB ? b.rows : b.columns
        precondition(c.rows == m && c.columns == n, "gemm: result is \(c.rows) x \(c.columns), expected \(m) x \(n)")
        gemm(a, transposeA: transposeA, b, transposeB: transposeB, alpha: alpha, beta: beta, into: &c, startingAtRow: 0)
    }

    /// Rows `firstRow ..< firstRow + m` of C <- alpha * op(A) * op(B) + beta * (those rows of C), with
    /// op(A) m x k: the product of a block of rows, written in place into a taller matrix (row-major,
    /// so the rows are one contiguous run). The other rows of C are not touched.
    public static func gemm(
        _ a: Matrix, transposeA: Bool = false, _ b: Matrix, transposeB: Bool = false,
        alpha: Double = 1, beta: Double = 0, into c: inout Matrix, startingAtRow firstRow: Int
    ) {
        let m = transposeA ? a.columns : a.rows
        let k = transposeA ? a.rows : a.columns
        let kB = transposeB ? b.columns : b.rows
        let n = transposeB ? b.rows : b.columns
        precondition(k == kB, "gemm: op(A) is \(m) x \(k) but op(B) is \(kB) x \(n)")
        precondition(c.columns == n && firstRow >= 0 && firstRow + m <= c.rows,
                     "gemm: rows \(firstRow)..<\(firstRow + m) of a \(c.rows) x \(c.columns) result, expected \(n) columns")
        if m == 0 || n == 0 { return }
        if k == 0 {
            for index in (firstRow * n)..<((firstRow + m) * n) { c.elements[index] *= beta }
            return
        }
        a.elements.withUnsafeBufferPointer { pa in
            b.elements.withUnsafeBufferPointer { pb in
                c.elements.withUnsafeMutableBufferPointer { pc in
                    cblas_dgemm(
                        CblasRowMajor,
                        transposeA ? CblasTrans : CblasNoTrans,
                        transposeB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k),
                        alpha, pa.baseAddress, Int32(max(a.columns, 1)),
                        pb.baseAddress, Int32(max(b.columns, 1)),
                        beta, pc.baseAddress! + firstRow * n, Int32(max(n, 1)))
                }
            }
        }
    }

    /// op(A) * op(B) as a new matrix.
    public static func product(_ a: Matrix, transposeA: Bool = false, _ b: Matrix, transposeB: Bool = false)
        -> Matrix
    {
        var c = Matrix(rows: transposeA ? a.columns : a.rows, columns: transposeB ? b.rows : b.columns)
        gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: &c)
        return c
    }

    /// op(A) * x as a new vector.
    public static func product(_ a: Matrix, transposeA: Bool = false, _ x: [Double]) -> [Double] {
        let m = transposeA ? a.columns : a.rows
        let n = transposeA ? a.rows : a.columns
        precondition(x.count == n, "gemv: op(A) is \(m) x \(n) but x has \(x.count) entries")
        var y = [Double](repeating: 0, count: m)
        if m == 0 || n == 0 { return y }
        a.elements.withUnsafeBufferPointer { pa in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    cblas_dgemv(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
                                Int32(a.rows), Int32(a.columns), 1, pa.baseAddress, Int32(max(a.columns, 1)),
                                px.baseAddress, 1, 0, py.baseAddress, 1)
                }
            }
        }
        return y
    }

    /// The Gram matrix A A^T (symmetric positive semidefinite), from dsyrk with the lower half mirrored.
    public static func gram(_ a: Matrix) -> Matrix {
        var c = Matrix(rows: a.rows, columns: a.rows)
        if a.rows == 0 { return c }
        if a.columns > 0 {
            a.elements.withUnsafeBufferPointer { pa in
                c.elements.withUnsafeMutableBufferPointer { pc in
                    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(a.rows), Int32(a.columns),
                                1, pa.baseAddress, Int32(a.columns), 0, pc.baseAddress, Int32(a.rows))
                }
            }
        }
        // Mirror the upper triangle so the result is exactly symmetric.
        for i in 0..<a.rows {
            for j in 0..<i { c.elements[i * a.rows + j] = c.elements[j * a.rows + i] }
        }
        return c
    }

    /// <x, y>.
    public static func dot(_ x: [Double], _ y: [Double]) -> Double {
        precondition(x.count == y.count, "dot: lengths \(x.count) and \(y.count)")
        if x.isEmpty { return 0 }
        return x.withUnsafeBufferPointer { px in
            y.withUnsafeBufferPointer { py in cblas_ddot(Int32(x.count), px.baseAddress, 1, py.baseAddress, 1) }
        }
    }

    /// Euclidean norm |x|.
    public static func norm(_ x: [Double]) -> Double {
        if x.isEmpty { return 0 }
        return x.withUnsafeBufferPointer { cblas_dnrm2(Int32(x.count), $0.baseAddress, 1) }
    }

    /// y <- alpha * x + y.
    public static func axpy(_ alpha: Double, _ x: [Double], _ y: inout [Double]) {
        precondition(x.count == y.count, "axpy: lengths \(x.count) and \(y.count)")
        if x.isEmpty { return }
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                cblas_daxpy(Int32(x.count), alpha, px.baseAddress, 1, py.baseAddress, 1)
            }
        }
    }
}
