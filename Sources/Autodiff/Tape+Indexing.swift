import LinearAlgebra

extension Tape {
    /// Rows of X by index, repeats allowed: Y_r = X_{indices[r]}. This is the embedding lookup and the
    /// read-out of chosen positions. Pullback: scatter-add, dX_{indices[r]} += G_r.
    public func gatherRows(_ x: Variable, _ indices: [Int]) -> Variable {
        dispatch({ $0.gatherRows(x, indices) }, { $0.gatherRows(x, indices) })
    }

    /// Rows `range` of X, contiguous. Pullback: G added into those rows.
    public func sliceRows(_ x: Variable, _ range: Range<Int>) -> Variable {
        dispatch({ $0.sliceRows(x, range) }, { $0.sliceRows(x, range) })
    }

    /// The inputs stacked vertically (equal column counts). Pullback: each input gets its row block of G.
    public func concatRows(_ parts: [Variable]) -> Variable {
        dispatch({ $0.concatRows(parts) }, { $0.concatRows(parts) })
    }

    /// Columns `range` of X. Pullback: G added into those columns.
    public func sliceColumns(_ x: Variable, _ range: Range<Int>) -> Variable {
        dispatch({ $0.sliceColumns(x, range) }, { $0.sliceColumns(x, range) })
    }

    /// The inputs side by side (equal row counts). Pullback: each input gets its column block of G.
    public func concatColumns(_ parts: [Variable]) -> Variable {
        dispatch({ $0.concatColumns(parts) }, { $0.concatColumns(parts) })
    }

    /// One entry per pair: y_r = X[rows[r], columns[r]], as a count x 1 column. With X the log-softmax of
    /// the logits and columns the next tokens, these are the log-probabilities ln p(y_k | c_k).
    /// Pullback: scatter-add, dX[rows[r], columns[r]] += G_r.
    public func gatherElements(_ x: Variable, rows: [Int], columns: [Int]) -> Variable {
        dispatch({ $0.gatherElements(x, rows: rows, columns: columns) }, { $0.gatherElements(x, rows: rows, columns: columns) })
    }
}

extension TypedTape {
    func gatherRows(_ x: Variable, _ indices: [Int]) -> Variable {
        let input = value(x)
        let width = input.columns
        for index in indices {
            precondition(index >= 0 && index < input.rows, "gatherRows: row \(index) out of range for \(input.rows) x \(width)")
        }
        var result = Tensor<Scalar>.uninitialized(rows: indices.count, columns: width)  // count x n, every row copied
        result.elements.withUnsafeMutableBufferPointer { out in
            input.elements.withUnsafeBufferPointer { inp in
                for (target, source) in indices.enumerated() {
                    (out.baseAddress! + target * width).update(from: inp.baseAddress! + source * width, count: width)
                }
            }
        }
        return record(result, inputs: [x]) { upstream, accumulator in
            accumulator.accumulate(into: x) { gradient in
                gradient.elements.withUnsafeMutableBufferPointer { dx in
                    upstream.elements.withUnsafeBufferPointer { g in
                        let (dx, g) = (dx.baseAddress!, g.baseAddress!)
                        for (target, source) in indices.enumerated() {
                            let (into, from) = (dx + source * width, g + target * width)
                            for j in 0..<width { into[j] += from[j] }
                        }
                    }
                }
            }
        }
    }

    func sliceRows(_ x: Variable, _ range: Range<Int>) -> Variable {
        let input = value(x)
        let result = input.rowBlock(start: range.lowerBound, count: range.count)  // |range| x n
        return record(result, inputs: [x]) { upstream, accumulator in
            accumulator.accumulate(into: x) { gradient in gradient.addRowBlock(upstream, start: range.lowerBound) }
        }
    }

    func concatRows(_ parts: [Variable]) -> Variable {
        precondition(!parts.isEmpty, "concatRows needs at least one input")
        let matrices = parts.map { value($0) }
        let width = matrices[0].columns
        for matrix in matrices {
            precondition(matrix.columns == width, "concatRows: \(matrix.rows) x \(matrix.columns) next to width \(width)")
        }
        let offsets = matrices.reduce(into: [0]) { $0.append($0.last! + $1.rows) }
        var result = Tensor<Scalar>(rows: offsets.last!, columns: width)  // (sum of rows) x n
        for (index, matrix) in matrices.enumerated() { result.setRowBlock(matrix, start: offsets[index]) }
        return record(result, inputs: parts) { upstream, accumulator in
            for (index, part) in parts.enumerated() where accumulator.wants(part) {
                accumulator.add(upstream.rowBlock(start: offsets[index], count: matrices[index].rows), to: part)
            }
        }
    }

    func sliceColumns(_ x: Variable, _ range: Range<Int>) -> Variable {
        let input = value(x)
        precondition(range.lowerBound >= 0 && range.upperBound <= input.columns,
                     "sliceColumns: columns \(range) out of range for \(input.rows) x \(input.columns)")
        let width = input.columns
        let sliceWidth = range.count
        var result = Tensor<Scalar>(rows: input.rows, columns: sliceWidth)  // m x |range|
        result.elements.withUnsafeMutableBufferPointer { out in
            input.elements.withUnsafeBufferPointer { inp in
                for i in 0..<input.rows {
                    (out.baseAddress! + i * sliceWidth).update(from: inp.baseAddress! + i * width + range.lowerBound,
                                                               count: sliceWidth)
                }
            }
        }
        return record(result, inputs: [x]) { upstream, accumulator in
            accumulator.accumulate(into: x) { gradient in
                gradient.elements.withUnsafeMutableBufferPointer { dx in
                    upstream.elements.withUnsafeBufferPointer { g in
                        for i in 0..<input.rows {
                            for j in 0..<sliceWidth { dx[i * width + range.lowerBound + j] += g[i * sliceWidth + j] }
                        }
                    }
                }
            }
        }
    }

    func concatColumns(_ parts: [Variable]) -> Variable {
        precondition(!parts.isEmpty, "concatColumns needs at least one input")
        let matrices = parts.map { value($0) }
        let height = matrices[0].rows
        for matrix in matrices {
            precondition(matrix.rows == height, "concatColumns: \(matrix.rows) x \(matrix.columns) next to height \(height)")
        }
        let offsets = matrices.reduce(into: [0]) { $0.append($0.last! + $1.columns) }
        let width = offsets.last!
        var result = Tensor<Scalar>(rows: height, columns: width)  // m x (sum of columns)
        result.elements.withUnsafeMutableBufferPointer { out in
            for (index, matrix) in matrices.enumerated() {
                let partWidth = matrix.columns
                matrix.elements.withUnsafeBufferPointer { inp in
                    for i in 0..<height {
                        (out.baseAddress! + i * width + offsets[index]).update(from: inp.baseAddress! + i * partWidth,
                                                                               count: partWidth)
                    }
                }
            }
        }
        return record(result, inputs: parts) { upstream, accumulator in
            for (index, part) in parts.enumerated() where accumulator.wants(part) {
                let partWidth = matrices[index].columns
                var piece = Tensor<Scalar>(rows: height, columns: partWidth)  // m x n_part
                piece.elements.withUnsafeMutableBufferPointer { out in
                    upstream.elements.withUnsafeBufferPointer { g in
                        for i in 0..<height {
                            (out.baseAddress! + i * partWidth).update(from: g.baseAddress! + i * width + offsets[index],
                                                                      count: partWidth)
                        }
                    }
                }
                accumulator.add(piece, to: part)
            }
        }
    }

    func gatherElements(_ x: Variable, rows: [Int], columns: [Int]) -> Variable {
        let input = value(x)
        precondition(rows.count == columns.count, "gatherElements: \(rows.count) rows but \(columns.count) columns")
        let width = input.columns
        var result = Tensor<Scalar>(rows: rows.count, columns: 1)  // count x 1
        for r in rows.indices {
            precondition(rows[r] >= 0 && rows[r] < input.rows && columns[r] >= 0 && columns[r] < width,
                         "gatherElements: (\(rows[r]), \(columns[r])) out of range for \(input.rows) x \(width)")
            result.elements[r] = input.elements[rows[r] * width + columns[r]]
        }
        return record(result, inputs: [x]) { upstream, accumulator in
            accumulator.accumulate(into: x) { gradient in
                for r in rows.indices { gradient.elements[rows[r] * width + columns[r]] += upstream.elements[r] }
            }
        }
    }
}
