import LinearAlgebra

/// Contiguous row blocks of a row-major matrix, copied out and added back with one buffer operation each.
extension Matrix {
    /// Rows start..<(start + count) as a new count x columns matrix.
    func rowBlock(start: Int, count: Int) -> Matrix {
        precondition(start >= 0 && count >= 0 && start + count <= rows,
                     "rows \(start)..<\(start + count) out of range for \(rows) x \(columns)")
        return Matrix(rows: count, columns: columns,
                      elements: Array(elements[(start * columns)..<((start + count) * columns)]))
    }

    /// Rows start..<(start + block.rows) += block.
    mutating func addRowBlock(_ block: Matrix, start: Int) {
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
    mutating func setRowBlock(_ block: Matrix, start: Int) {
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
