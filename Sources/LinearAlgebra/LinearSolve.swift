import CLAPACK

/// Solutions of square linear systems by LU with partial pivoting (LAPACK dgesv).
public enum LinearSolve {
    /// X with A X = B. A singular A (an exactly zero pivot U(i,i)) is a thrown
    /// `LinearAlgebraError.lapack(routine: "dgesv", ...)`.
    public static func solve(_ a: Matrix, _ b: Matrix) throws -> Matrix {
        guard a.rows == a.columns else {
            throw LinearAlgebraError.invalidInput("dgesv needs a square matrix, got \(a.rows) x \(a.columns)")
        }
        precondition(b.rows == a.rows, "dgesv: A is \(a.rows) x \(a.columns), B has \(b.rows) rows")
        guard a.elements.allSatisfy(\.isFinite), b.elements.allSatisfy(\.isFinite) else {
            throw LinearAlgebraError.invalidInput("dgesv: the system has a non-finite entry")
        }
        var lu = a
        var x = b
        if a.rows == 0 || b.columns == 0 { return x }
        var pivots = [Int32](repeating: 0, count: a.rows)
        let info = lu.elements.withUnsafeMutableBufferPointer { pa in
            x.elements.withUnsafeMutableBufferPointer { pb in
                pivots.withUnsafeMutableBufferPointer { pp in
                    LAPACKE_dgesv(LAPACK_ROW_MAJOR, Int32(a.rows), Int32(b.columns), pa.baseAddress, Int32(a.rows),
                                  pp.baseAddress, pb.baseAddress, Int32(b.columns))
                }
            }
        }
        try checkLAPACK("dgesv", info) { "U(\($0),\($0)) is exactly zero: the matrix is singular" }
        return x
    }

    /// x with A x = b.
    public static func solve(_ a: Matrix, _ b: [Double]) throws -> [Double] {
        try solve(a, Matrix(rows: b.count, columns: 1, elements: b)).elements
    }
}
