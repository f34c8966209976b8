import LinearAlgebra

// Goals, in priority order: (1) accuracy that depends on cond(A), not cond(A)^2: no quantity is ever
// obtained by subtracting squared norms, which is what a Cholesky factor of A^T A updated by bordering
// does (pivot^2 = |v|^2 - |l|^2), (2) refuse a column that is in the span of the others to working
// precision, (3) O(m s) per change with the products done by BLAS, never a refactorisation.

/// A = Q R for an m x s matrix A whose columns are appended and deleted one at a time: Q (m x s) has
/// orthonormal columns, R (s x s) is upper triangular with a positive diagonal. R is also the Cholesky
/// factor of A^T A, computed without forming A^T A.
///
/// - Append v: classical Gram-Schmidt applied twice (CGS2; Giraud, Langou, Rozloznik & van den Eshof,
///   Numerische Mathematik 101, 2005: twice is enough for orthogonality to working precision),
///   r = Q^T v, w = v - Q r, repeated on w; then R gets the column (r, |w|) and Q the column w / |w|.
/// - Delete column k: R without column k is upper Hessenberg from column k on; plane rotations G_j on
///   rows j, j+1 restore it (R <- G R, Q <- Q G^T), and the last column of Q and row of R drop out
///   (Golub & Van Loan, "Matrix Computations", 4th ed., section 6.5.2).
///
/// Mathematical properties:
/// - after any sequence of changes, Q^T Q = I and Q R = A to a few eps (relative to |A|);
/// - an append whose new direction |w| is at most `independenceFloor` |v| is refused and leaves the
///   factorisation unchanged, as does one beyond `capacity`;
/// - `solveGram(b)` = (A^T A)^{-1} b, by two triangular solves with R.
///
/// Internal to the minimum-norm-point solver; the cross-check solver uses LAPACK instead, so that the
/// two share no factorisation code.
struct UpdatableQR {
    /// m, the length of every column.
    let length: Int
    /// The largest number of columns.
    let capacity: Int
    /// s, the current number of columns.
    private(set) var size = 0
    /// Q^T, row-major s x m: row k is the k-th orthonormal column of Q, contiguous for BLAS.
    private var basis: [Double] = []
    /// R, row-major with leading dimension `capacity`; only the upper triangle of the s x s block is used.
    private var triangle: [Double]

    /// |w| / |v| at or below this (the sine of the angle between v and the span of the current columns)
    /// means v is dependent to working precision: CGS2 computes w to about eps sqrt(m) |v|, and solves with
    /// an R whose last pivot is that small would keep fewer than 6 correct digits.
    static let independenceFloor = 1e-10

    init(length: Int, capacity: Int) {
        precondition(length >= 0 && capacity >= 0, "UpdatableQR needs a non-negative shape, got \(length), \(capacity)")
        self.length = length
        self.capacity = capacity
        triangle = [Double](repeating: 0, count: capacity * capacity)
        basis.reserveCapacity(capacity * length)
    }

    /// Q^T as an s x m matrix.
    var transposedBasis: Matrix {
        Matrix(rows: size, columns: length, elements: basis)
    }

    /// R[i, j] for i <= j.
    func entry(_ i: Int, _ j: Int) -> Double {
        precondition(i <= j && j < size, "entry (\(i), \(j)) outside the upper triangle of a \(size) x \(size) R")
        return triangle[i * capacity + j]
    }

    /// Appends the column v (length m). Returns false, changing nothing, if v is dependent on the current
    /// columns to working precision or the capacity is reached.
    mutating func append(_ v: [Double]) -> Bool {
        precondition(v.count == length, "append: column has \(v.count) entries, expected \(length)")
        let vNorm = BLAS.norm(v)
        guard size < capacity, vNorm > 0, vNorm.isFinite else { return false }
        var w = v  // m: v minus its projection on span(Q)
        var coefficients = [Double](repeating: 0, count: size)  // s: Q^T v
        if size > 0 {
            let q = transposedBasis  // s x m
            for _ in 0..<2 {
                let projection = BLAS.product(q, w)  // s: Q^T w
                BLAS.axpy(-1, BLAS.product(q, transposeA: true, projection), &w)
                BLAS.axpy(1, projection, &coefficients)
            }
        }
        let pivot = BLAS.norm(w)
        guard pivot > Self.independenceFloor * vNorm else { return false }
        let s = size
        basis.append(contentsOf: w.map { $0 / pivot })
        for i in 0..<s { triangle[i * capacity + s] = coefficients[i] }
        triangle[s * capacity + s] = pivot
        size = s + 1
        return true
    }

    /// Deletes column k of A.
    mutating func remove(at k: Int) {
        precondition(k >= 0 && k < size, "remove: column \(k) out of range for \(size) columns")
        let s = size
        let ld = capacity
        let m = length
        triangle.withUnsafeMutableBufferPointer { r in
            // Shift columns k+1..<s of R one place left; column j - 1 then has a subdiagonal entry at row j.
            for j in (k + 1)..<s {
                for i in 0...j { r[i * ld + j - 1] = r[i * ld + j] }
            }
            basis.withUnsafeMutableBufferPointer { q in
                // Rotate rows j, j+1 of R (and the matching columns of Q) to zero each subdiagonal entry.
                for j in k..<(s - 1) {
                    let a = r[j * ld + j]
                    let b = r[(j + 1) * ld + j]
                    let radius = (a * a + b * b).squareRoot()
                    let c = a / radius
                    let sine = b / radius
                    r[j * ld + j] = radius
                    r[(j + 1) * ld + j] = 0
                    for column in (j + 1)..<(s - 1) {
                        let top = r[j * ld + column]
                        let bottom = r[(j + 1) * ld + column]
                        r[j * ld + column] = c * top + sine * bottom
                        r[(j + 1) * ld + column] = -sine * top + c * bottom
                    }
                    // Q <- Q G^T: q_j <- c q_j + s q_{j+1}, q_{j+1} <- -s q_j + c q_{j+1}.
                    for index in 0..<m {
                        let top = q[j * m + index]
                        let bottom = q[(j + 1) * m + index]
                        q[j * m + index] = c * top + sine * bottom
                        q[(j + 1) * m + index] = -sine * top + c * bottom
                    }
                }
            }
        }
        // The last row of R is now zero and the last column of Q multiplies only it: drop both.
        basis.removeLast(m)
        size = s - 1
    }

    /// t with R^T t = b.
    func solveTransposed(_ b: [Double]) -> [Double] {
        precondition(b.count == size, "solve: right side has \(b.count) entries, R is \(size) x \(size)")
        var t = b
        let ld = capacity
        let s = size
        // Row-oriented: once t_i is known, remove R[i, j] t_i from every later equation j > i.
        triangle.withUnsafeBufferPointer { r in
            t.withUnsafeMutableBufferPointer { pt in
                for i in 0..<s {
                    pt[i] /= r[i * ld + i]
                    let ti = pt[i]
                    for j in (i + 1)..<s { pt[j] -= r[i * ld + j] * ti }
                }
            }
        }
        return t
    }

    /// x with R x = t.
    func solveTriangular(_ t: [Double]) -> [Double] {
        precondition(t.count == size, "solve: right side has \(t.count) entries, R is \(size) x \(size)")
        var x = t
        let ld = capacity
        let s = size
        triangle.withUnsafeBufferPointer { r in
            x.withUnsafeMutableBufferPointer { px in
                for i in stride(from: s - 1, through: 0, by: -1) {
                    var total = px[i]
                    for j in (i + 1)..<s { total -= r[i * ld + j] * px[j] }
                    px[i] = total / r[i * ld + i]
                }
            }
        }
        return x
    }

    /// (A^T A)^{-1} b = R^{-1} R^{-T} b.
    func solveGram(_ b: [Double]) -> [Double] {
        solveTriangular(solveTransposed(b))
    }

    /// Q^T e_1: the first coordinate of every orthonormal column, length s.
    var firstCoordinates: [Double] {
        (0..<size).map { basis[$0 * length] }
    }

    /// Q c, length m.
    func combination(_ c: [Double]) -> [Double] {
        precondition(c.count == size, "combination: \(c.count) coefficients for \(size) columns")
        if size == 0 { return [Double](repeating: 0, count: length) }
        return BLAS.product(transposedBasis, transposeA: true, c)
    }
}
