import CLAPACK

/// A = L L^T for a symmetric positive definite A, from LAPACK dpotrf; solves with dpotrs.
///
/// Mathematical properties:
/// - L is lower triangular with a positive diagonal and L L^T reproduces A to rounding;
/// - a matrix that is not positive definite is a thrown `LinearAlgebraError.lapack("dpotrf", ...)`.
public struct CholeskyFactorization: Sendable {
    /// The factor, lower triangular (upper triangle zeroed).
    public let lower: Matrix

    public init(_ a: Matrix) throws {
        guard a.rows == a.columns else {
            throw LinearAlgebraError.invalidInput("dpotrf needs a square matrix, got \(a.rows) x \(a.columns)")
        }
        guard a.elements.allSatisfy(\.isFinite) else {
            throw LinearAlgebraError.invalidInput("dpotrf: the matrix has a non-finite entry")
        }
        let n = a.rows
        var factor = a
        if n > 0 {
            let info = factor.elements.withUnsafeMutableBufferPointer {
                LAPACKE_dpotrf(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "L")), Int32(n), $0.baseAddress, Int32(n))
            }
            try checkLAPACK("dpotrf", info) { "the leading minor of order \($0) is not positive definite" }
        }
        for i in 0..<n {
            for j in (i + 1)..<max(n, i + 1) { factor[i, j] = 0 }
        }
        lower = factor
    }

    /// X with A X = B.
    public func solve(_ b: Matrix) throws -> Matrix {
        precondition(b.rows == lower.rows, "Cholesky solve: A is \(lower.rows) x \(lower.rows), B has \(b.rows) rows")
        var x = b
        if b.rows == 0 || b.columns == 0 { return x }
        let info = lower.elements.withUnsafeBufferPointer { pl in
            x.elements.withUnsafeMutableBufferPointer { px in
                LAPACKE_dpotrs(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "L")), Int32(lower.rows), Int32(b.columns),
                               pl.baseAddress, Int32(lower.rows), px.baseAddress, Int32(b.columns))
            }
        }
        try checkLAPACK("dpotrs", info) { "unexpected positive info \($0)" }
        return x
    }

    /// x with A x = b.
    public func solve(_ b: [Double]) throws -> [Double] {
        try solve(Matrix(rows: b.count, columns: 1, elements: b)).elements
    }
}
