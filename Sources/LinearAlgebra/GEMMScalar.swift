import CLAPACK
import Foundation

/// A floating-point type the streamed read-out kernels compute in: `Double` (dgemm) or `Float` (sgemm).
///
/// The closed forms of the project are checked in `Double` to 1e-9 and better; a real model's
/// unembedding and hidden states come out of the exporter in float32, and at a real vocabulary the
/// matrix products of a read-out step dominate everything else, so large instances may run in `Float`
/// at about twice the dgemm rate. Every sum that feeds a reported figure (log-sum-exp, rewards, the
/// per-sequence Eq. 5 parts) is accumulated in `Double` whatever the storage type.
public protocol GEMMScalar: BinaryFloatingPoint, Sendable {
    /// "float32" or "float64".
    static var precisionName: String { get }

    /// C <- alpha op(A) op(B) + beta C on row-major storage (cblas_sgemm / cblas_dgemm), op(A) m x k,
    /// op(B) k x n, with leading dimensions lda, ldb, ldc.
    static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Self,
                     a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int, beta: Self,
                     c: UnsafeMutablePointer<Self>, ldc: Int)

    /// e^x in this precision (libm's exp or expf).
    static func exponential(_ x: Self) -> Self
}

extension Double: GEMMScalar {
    public static var precisionName: String { "float64" }

    @inlinable
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                            a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int, beta: Double,
                            c: UnsafeMutablePointer<Double>, ldc: Int)
    {
        cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(max(lda, 1)), b, Int32(max(ldb, 1)), beta, c,
                    Int32(max(ldc, 1)))
    }

    @inlinable
    public static func exponential(_ x: Double) -> Double { Foundation.exp(x) }
}

extension Float: GEMMScalar {
    public static var precisionName: String { "float32" }

    @inlinable
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
                            c: UnsafeMutablePointer<Float>, ldc: Int)
    {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(max(lda, 1)), b, Int32(max(ldb, 1)), beta, c,
                    Int32(max(ldc, 1)))
    }

    @inlinable
    public static func exponential(_ x: Float) -> Float { Foundation.exp(x) }
}

/// A dense, row-major matrix in either streaming precision: the unembedding and the stacked contexts
/// of the streamed read-out kernels. `Matrix` stays the project's `Double` container; this one only
/// converts to and from it.
///
/// Mathematical properties:
/// - `ScalarMatrix<Double>(m).matrix == m` bit for bit; `ScalarMatrix<Float>(m)` rounds every entry to
///   nearest (exact for the float32 values an exported instance holds).
public struct ScalarMatrix<Scalar: GEMMScalar>: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    public var elements: [Scalar]

    /// A rows x columns matrix of zeros.
    @inlinable
    public init(rows: Int, columns: Int) {
        precondition(rows >= 0 && columns >= 0, "ScalarMatrix shape must be non-negative, got \(rows) x \(columns)")
        self.rows = rows
        self.columns = columns
        elements = [Scalar](repeating: 0, count: rows * columns)
    }

    /// `matrix` converted entry by entry. Inlinable, like the rest of the type, so that the conversion is
    /// specialized where it is used (the generic conversion between floating-point types is far slower).
    @inlinable
    public init(_ matrix: Matrix) {
        rows = matrix.rows
        columns = matrix.columns
        elements = matrix.elements.map { Scalar($0) }
    }

    /// The listed rows of `matrix`, converted, in that order.
    @inlinable
    public init(_ matrix: Matrix, rows indices: [Int]) {
        rows = indices.count
        columns = matrix.columns
        var values = [Scalar](repeating: 0, count: indices.count * matrix.columns)
        let width = matrix.columns
        matrix.elements.withUnsafeBufferPointer { source in
            for (target, index) in indices.enumerated() {
                precondition(index >= 0 && index < matrix.rows, "Row \(index) out of range for \(matrix.rows) x \(width)")
                for j in 0..<width { values[target * width + j] = Scalar(source[index * width + j]) }
            }
        }
        elements = values
    }

    /// The same values as a `Matrix` of doubles (exact).
    @inlinable
    public var matrix: Matrix {
        Matrix(rows: rows, columns: columns, elements: elements.map { Double($0) })
    }

    /// Bytes of storage.
    @inlinable
    public var bytes: Int { elements.count * MemoryLayout<Scalar>.stride }
}
