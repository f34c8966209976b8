/// A dense, row-major matrix of `Double`, the one numeric container of the project.
///
/// Element (i, j) lives at `elements[i * columns + j]`, so a row is contiguous and can be handed to BLAS
/// with leading dimension `columns`. The type is a value: copies are cheap until written (Array's
/// copy-on-write), and no method mutates a matrix it did not receive `inout`.
///
/// Shape mismatches are programmer errors and trap with a message naming both shapes.
public struct Matrix: Equatable, Sendable, CustomStringConvertible {
    public let rows: Int
    public let columns: Int
    public var elements: [Double]

    /// A `rows x columns` matrix filled with `value`.
    public init(rows: Int, columns: Int, repeating value: Double = 0) {
        precondition(rows >= 0 && columns >= 0, "Matrix shape must be non-negative, got \(rows) x \(columns)")
        self.rows = rows
        self.columns = columns
        self.elements = Array(repeating: value, count: rows * columns)
    }

    /// A `rows x columns` matrix over row-major `elements`.
    public init(rows: Int, columns: Int, elements: [Double]) {
        precondition(
            elements.count == rows * columns,
            "Matrix \(rows) x \(columns) needs \(rows * columns) elements, got \(elements.count)")
        self.rows = rows
        self.columns = columns
        self.elements = elements
    }

    /// A matrix from a list of equally long rows. An empty list gives a 0 x `columns` matrix.
    public init(rowVectors: [[Double]], columns: Int? = nil) {
        let width = rowVectors.first?.count ?? columns ?? 0
        for (index, row) in rowVectors.enumerated() {
            precondition(row.count == width, "Row \(index) has \(row.count) entries, expected \(width)")
        }
        self.init(rows: rowVectors.count, columns: width, elements: rowVectors.flatMap { $0 })
    }

    /// The n x n identity.
    public static func identity(_ n: Int) -> Matrix {
        var result = Matrix(rows: n, columns: n)
        for i in 0..<n { result[i, i] = 1 }
        return result
    }

    public subscript(row: Int, column: Int) -> Double {
        get {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns,
                         "Index (\(row), \(column)) out of range for \(rows) x \(columns)")
            return elements[row * columns + column]
        }
        set {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns,
                         "Index (\(row), \(column)) out of range for \(rows) x \(columns)")
            elements[row * columns + column] = newValue
        }
    }

    /// Row `i` as a fresh array.
    public func row(_ i: Int) -> [Double] {
        precondition(i >= 0 && i < rows, "Row \(i) out of range for \(rows) x \(columns)")
        return Array(elements[(i * columns)..<((i + 1) * columns)])
    }

    /// Overwrites row `i`.
    public mutating func setRow(_ i: Int, to values: [Double]) {
        precondition(i >= 0 && i < rows, "Row \(i) out of range for \(rows) x \(columns)")
        precondition(values.count == columns, "Row of \(values.count) entries into a \(rows) x \(columns) matrix")
        elements.replaceSubrange((i * columns)..<((i + 1) * columns), with: values)
    }

    /// Rows `range` (a contiguous run of the row-major storage), as a new matrix.
    public func rows(_ range: Range<Int>) -> Matrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "Rows \(range) out of range for \(rows) x \(columns)")
        return Matrix(rows: range.count, columns: columns,
                      elements: Array(elements[(range.lowerBound * columns)..<(range.upperBound * columns)]))
    }

    /// The rows listed in `indices`, in that order.
    public func selectingRows(_ indices: [Int]) -> Matrix {
        var result = Matrix(rows: indices.count, columns: columns)
        result.elements.withUnsafeMutableBufferPointer { destination in
            elements.withUnsafeBufferPointer { source in
                for (target, index) in indices.enumerated() {
                    precondition(index >= 0 && index < rows, "Row \(index) out of range for \(rows) x \(columns)")
                    let from = source.baseAddress! + index * columns
                    (destination.baseAddress! + target * columns).update(from: from, count: columns)
                }
            }
        }
        return result
    }

    public var transposed: Matrix {
        var result = Matrix(rows: columns, columns: rows)
        for i in 0..<rows {
            for j in 0..<columns {
                result.elements[j * rows + i] = elements[i * columns + j]
            }
        }
        return result
    }

    /// The largest absolute entry (0 for an empty matrix), NaN if any entry is NaN (`NaNPropagating`).
    public var maxAbs: Double {
        NaNPropagating.maxAbs(elements)
    }

    public var description: String {
        let shown = (0..<Swift.min(rows, 6)).map { i in
            row(i).prefix(6).map { String(format: "%.4g", $0) }.joined(separator: " ")
        }
        return "Matrix(\(rows) x \(columns))\n" + shown.joined(separator: "\n")
    }

    // MARK: Elementwise arithmetic (shapes must agree)

    public static func + (lhs: Matrix, rhs: Matrix) -> Matrix {
        precondition(lhs.rows == rhs.rows && lhs.columns == rhs.columns,
                     "Adding \(lhs.rows) x \(lhs.columns) and \(rhs.rows) x \(rhs.columns)")
        return Matrix(rows: lhs.rows, columns: lhs.columns, elements: zip(lhs.elements, rhs.elements).map(+))
    }

    public static func - (lhs: Matrix, rhs: Matrix) -> Matrix {
        precondition(lhs.rows == rhs.rows && lhs.columns == rhs.columns,
                     "Subtracting \(rhs.rows) x \(rhs.columns) from \(lhs.rows) x \(lhs.columns)")
        return Matrix(rows: lhs.rows, columns: lhs.columns, elements: zip(lhs.elements, rhs.elements).map(-))
    }

    public static func * (scale: Double, matrix: Matrix) -> Matrix {
        Matrix(rows: matrix.rows, columns: matrix.columns, elements: matrix.elements.map { scale * $0 })
    }
}
