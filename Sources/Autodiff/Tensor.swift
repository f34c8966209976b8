import LinearAlgebra

/// The tape's storage of one matrix in its working precision: row-major, element (i, j) at
/// `elements[i * columns + j]`, as in `Matrix`. `Tensor<Double>` shares its buffer with the `Matrix` it
/// was made from or is turned into (no copy); `Tensor<Float>` rounds on the way in and widens exactly on
/// the way out.
struct Tensor<Scalar: BLASScalar> {
    let rows: Int
    let columns: Int
    var elements: [Scalar]

    /// A rows x columns matrix of zeros.
    init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
        elements = [Scalar](repeating: 0, count: rows * columns)
    }

    init(rows: Int, columns: Int, elements: [Scalar]) {
        precondition(elements.count == rows * columns,
                     "a \(rows) x \(columns) tensor needs \(rows * columns) elements, got \(elements.count)")
        self.rows = rows
        self.columns = columns
        self.elements = elements
    }

    /// A rows x columns tensor whose elements are not set: for kernels that write every one of them (a
    /// gemm with beta = 0, an elementwise map), so that no pass is spent zeroing them first.
    static func uninitialized(rows: Int, columns: Int) -> Tensor {
        Tensor(rows: rows, columns: columns,
               elements: [Scalar](unsafeUninitializedCapacity: rows * columns) { _, count in count = rows * columns })
    }

    /// A rows x columns matrix filled with `value`.
    init(rows: Int, columns: Int, repeating value: Scalar) {
        self.rows = rows
        self.columns = columns
        elements = [Scalar](repeating: value, count: rows * columns)
    }

    init(_ matrix: Matrix) {
        self.init(rows: matrix.rows, columns: matrix.columns, elements: Scalar.converting(matrix.elements))
    }

    var matrix: Matrix {
        Matrix(rows: rows, columns: columns, elements: Scalar.widening(elements))
    }

    /// Rows start..<(start + count) as a new count x columns tensor.
    func rowBlock(start: Int, count: Int) -> Tensor {
        precondition(start >= 0 && count >= 0 && start + count <= rows,
                     "rows \(start)..<\(start + count) out of range for \(rows) x \(columns)")
        return Tensor(rows: count, columns: columns,
                      elements: Array(elements[(start * columns)..<((start + count) * columns)]))
    }

    /// Rows start..<(start + block.rows) += block.
    mutating func addRowBlock(_ block: Tensor, start: Int) {
        precondition(block.columns == columns && start >= 0 && start + block.rows <= rows,
                     "adding a \(block.rows) x \(block.columns) block at row \(start) of \(rows) x \(columns)")
        let offset = start * columns
        elements.withUnsafeMutableBufferPointer { target in
            block.elements.withUnsafeBufferPointer { source in
                for index in 0..<source.count { target[offset + index] += source[index] }
            }
        }
    }

    /// Rows start..<(start + block.rows) = block.
    mutating func setRowBlock(_ block: Tensor, start: Int) {
        precondition(block.columns == columns && start >= 0 && start + block.rows <= rows,
                     "writing a \(block.rows) x \(block.columns) block at row \(start) of \(rows) x \(columns)")
        let offset = start * columns
        elements.withUnsafeMutableBufferPointer { target in
            block.elements.withUnsafeBufferPointer { source in
                (target.baseAddress! + offset).update(from: source.baseAddress!, count: source.count)
            }
        }
    }
}

/// C <- alpha op(A) op(B) + beta C for whole tensors (shapes checked, naming both operands).
func gemm<S: BLASScalar>(_ a: Tensor<S>, transposeA: Bool = false, _ b: Tensor<S>, transposeB: Bool = false,
                         alpha: S = 1, beta: S = 0, into c: inout Tensor<S>)
{
    let m = transposeA ? a.columns : a.rows
    let k = transposeA ? a.rows : a.columns
    let kB = transposeB ? b.columns : b.rows
    let n = transposeB ? b.rows : b.columns
    precondition(k == kB, "gemm: op(A) is \(m) x \(k) but op(B) is \(kB) x \(n)")
    precondition(c.rows == m && c.columns == n, "gemm: result is \(c.rows) x \(c.columns), expected \(m) x \(n)")
    if m == 0 || n == 0 { return }
    if k == 0 {
        for index in c.elements.indices { c.elements[index] *= beta }
        return
    }
    a.elements.withUnsafeBufferPointer { pa in
        b.elements.withUnsafeBufferPointer { pb in
            c.elements.withUnsafeMutableBufferPointer { pc in
                S.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                       a: pa.baseAddress!, lda: max(a.columns, 1), b: pb.baseAddress!, ldb: max(b.columns, 1),
                       beta: beta, c: pc.baseAddress!, ldc: max(n, 1))
            }
        }
    }
}

/// op(A) op(B) as a new tensor.
func product<S: BLASScalar>(_ a: Tensor<S>, transposeA: Bool = false, _ b: Tensor<S>, transposeB: Bool = false)
    -> Tensor<S>
{
    // beta = 0: gemm sets every entry of C without reading it.
    var c = Tensor<S>.uninitialized(rows: transposeA ? a.columns : a.rows, columns: transposeB ? b.rows : b.columns)
    if c.elements.isEmpty { return c }
    if (transposeA ? a.rows : a.columns) == 0 { return Tensor<S>(rows: c.rows, columns: c.columns) }
    gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: &c)
    return c
}

/// A * B elementwise.
func hadamard<S: BLASScalar>(_ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<S> {
    elementwise(a, b) { $0 * $1 }
}

/// f(A, B) entry by entry, into a new tensor (same shapes).
@inline(__always)
func elementwise<S: BLASScalar>(_ a: Tensor<S>, _ b: Tensor<S>, _ f: (S, S) -> S) -> Tensor<S> {
    precondition(a.rows == b.rows && a.columns == b.columns,
                 "shapes \(a.rows) x \(a.columns) and \(b.rows) x \(b.columns) differ")
    var result = Tensor<S>.uninitialized(rows: a.rows, columns: a.columns)
    result.elements.withUnsafeMutableBufferPointer { out in
        a.elements.withUnsafeBufferPointer { l in
            b.elements.withUnsafeBufferPointer { r in
                for index in 0..<out.count { out[index] = f(l[index], r[index]) }
            }
        }
    }
    return result
}

/// The 1 x n row of column sums of an m x n tensor (rows added in order).
func columnSums<S: BLASScalar>(_ a: Tensor<S>) -> Tensor<S> {
    var result = Tensor<S>(rows: 1, columns: a.columns)
    let width = a.columns
    result.elements.withUnsafeMutableBufferPointer { out in
        a.elements.withUnsafeBufferPointer { inp in
            let (out, inp) = (out.baseAddress!, inp.baseAddress!)
            for i in 0..<a.rows {
                let source = inp + i * width  // a row pointer: no checked index in the inner loop
                for j in 0..<width { out[j] += source[j] }
            }
        }
    }
    return result
}

/// s A.
func scaled<S: BLASScalar>(_ a: Tensor<S>, by factor: S) -> Tensor<S> {
    var result = Tensor<S>.uninitialized(rows: a.rows, columns: a.columns)
    result.elements.withUnsafeMutableBufferPointer { out in
        a.elements.withUnsafeBufferPointer { inp in
            for index in 0..<out.count { out[index] = inp[index] * factor }
        }
    }
    return result
}
