import CLAPACK

/// A = Q diag(lambda) Q^T for a symmetric A, from LAPACK dsyevd (divide and conquer).
///
/// Mathematical properties:
/// - eigenvalues are real and ascending; the columns of Q are orthonormal;
/// - Q diag(lambda) Q^T reproduces A to rounding.
/// Only the upper triangle of A is read.
public struct SymmetricEigendecomposition: Sendable {
    /// Ascending eigenvalues.
    public let eigenvalues: [Double]
    /// Column j is the unit eigenvector of `eigenvalues[j]`.
    public let eigenvectors: Matrix

    public init(_ a: Matrix) throws {
        guard a.rows == a.columns else {
            throw LinearAlgebraError.invalidInput("dsyevd needs a square matrix, got \(a.rows) x \(a.columns)")
        }
        guard a.elements.allSatisfy(\.isFinite) else {
            throw LinearAlgebraError.invalidInput("dsyevd: the matrix has a non-finite entry")
        }
        let n = a.rows
        var vectors = a
        var values = [Double](repeating: 0, count: n)
        if n > 0 {
            let info = vectors.elements.withUnsafeMutableBufferPointer { pa in
                values.withUnsafeMutableBufferPointer { pw in
                    LAPACKE_dsyevd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "U")),
                                   Int32(n), pa.baseAddress, Int32(n), pw.baseAddress)
                }
            }
            try checkLAPACK("dsyevd", info) { "the algorithm failed to converge (\($0) off-diagonal elements)" }
        }
        eigenvalues = values
        eigenvectors = vectors
    }
}
