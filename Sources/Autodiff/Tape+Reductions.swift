import LinearAlgebra

extension Tape {
    /// sum_ij X_ij as a 1 x 1 node. Pullback: G broadcast to every entry.
    public func sum(_ x: Variable) -> Variable {
        dispatch({ $0.sum(x) }, { $0.sum(x) })
    }

    /// (1 / (m n)) sum_ij X_ij as a 1 x 1 node; X must be non-empty. Pullback: G / (m n) to every entry.
    public func mean(_ x: Variable) -> Variable {
        dispatch({ $0.mean(x) }, { $0.mean(x) })
    }
}

extension TypedTape {
    func sum(_ x: Variable) -> Variable {
        let input = value(x)
        var total: Scalar = 0
        input.elements.withUnsafeBufferPointer { inp in
            for index in 0..<inp.count { total += inp[index] }
        }
        return record(Tensor<Scalar>(rows: 1, columns: 1, repeating: total), inputs: [x]) { upstream, accumulator in
            accumulator.add(Tensor<Scalar>(rows: input.rows, columns: input.columns, repeating: upstream.elements[0]), to: x)
        }
    }

    func mean(_ x: Variable) -> Variable {
        let input = value(x)
        precondition(!input.elements.isEmpty, "mean of an empty \(input.rows) x \(input.columns) matrix")
        return scale(sum(x), by: Scalar(1 / Double(input.elements.count)))
    }
}
