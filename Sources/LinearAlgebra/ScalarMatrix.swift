import Foundation

/// A dense, row-major matrix in either streaming precision: the unembedding and the stacked contexts
/// of the streamed read-out kernels. `Matrix` stays the project's `Double` container; this one only
/// converts to and from it.
///
/// Mathematical properties:
/// - `ScalarMatrix<Double>(m).matrix == m` bit for bit; `ScalarMatrix<Float>(m)` rounds every entry to
///   nearest (exact for the float32 values an exported instance holds).
public struct ScalarMatrix<Scalar: BLASScalar>: Sendable, Equatable {
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
