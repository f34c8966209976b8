import LinearAlgebra

extension Tape {
    /// sum_ij X_ij as a 1 x 1 node. Pullback: G broadcast to every entry.
    public func sum(_ x: Variable) -> Variable {
        let input = value(x)
        var total = 0.0
        input.elements.withUnsafeBufferPointer { inp in
            for index in 0..<inp.count { total += inp[index] }
        }
        return record(Matrix(rows: 1, columns: 1, repeating: total), inputs: [x]) { upstream, accumulator in
            accumulator.add(Matrix(rows: input.rows, columns: input.columns, repeating: upstream.elements[0]), to: x)
        }
    }

    /// (1 / (m n)) sum_ij X_ij as a 1 x 1 node; X must be non-empty. Pullback: G / (m n) to every entry.
    public func mean(_ x: Variable) -> Variable {
        let input = value(x)
        precondition(!input.elements.isEmpty, "mean of an empty \(input.rows) x \(input.columns) matrix")
        return scale(sum(x), by: 1 / Double(input.elements.count))
    }
}
