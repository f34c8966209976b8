import Foundation
import LinearAlgebra

extension Tape {
    /// Row-wise softmax: p_ij = e^{x_ij - lse_i}, lse_i = ln sum_j e^{x_ij} (shifted by the row maximum).
    ///
    /// Entries equal to -infinity (from `causalMask`) get probability exactly 0; every row needs at least
    /// one finite entry. Pullback: dx = p * (G - rowsum(G * p)).
    ///
    /// Mathematical properties: rows are non-negative and sum to 1; adding a constant to a row changes nothing.
    public func softmax(_ x: Variable) -> Variable {
        dispatch({ $0.softmax(x) }, { $0.softmax(x) })
    }

    /// Row-wise log-softmax: y_ij = x_ij - ln sum_k e^{x_ik}, computed with the row maximum subtracted so it
    /// never overflows. Pullback: dx = G - softmax(x) rowsum(G).
    ///
    /// Mathematical properties: every row of e^y sums to 1; y <= 0.
    public func logSoftmax(_ x: Variable) -> Variable {
        dispatch({ $0.logSoftmax(x) }, { $0.logSoftmax(x) })
    }

    /// Causal mask for stacked square score blocks: X is (g T) x T, and inside each T x T block the entry
    /// (i, j) with j > i (a later position) becomes -infinity, so that the following `softmax` gives it
    /// weight 0. Pullback: G on the kept entries, 0 on the masked ones.
    public func causalMask(_ x: Variable, blockRows: Int) -> Variable {
        dispatch({ $0.causalMask(x, blockRows: blockRows) }, { $0.causalMask(x, blockRows: blockRows) })
    }
}

extension TypedTape {
    func softmax(_ x: Variable) -> Variable {
        let input = value(x)
        let width = input.columns
        var result = input  // m x n
        let chunks = RowChunks(rows: input.rows, columns: width)
        let threads = self.threads
        result.elements.withUnsafeMutableBufferPointer { out in
            let out = out.baseAddress!
            ParallelChunks.run(chunks: chunks.chunks, threads: threads) { chunk in
                for i in chunks.rows(chunk) { softmaxRow(out + i * width, count: width) }
            }
        }
        return record(result, inputs: [x]) { upstream, accumulator in
            var inputGradient = upstream  // m x n
            inputGradient.elements.withUnsafeMutableBufferPointer { dx in
                result.elements.withUnsafeBufferPointer { p in
                    let (dx, p) = (dx.baseAddress!, p.baseAddress!)
                    ParallelChunks.run(chunks: chunks.chunks, threads: threads) { chunk in
                        for i in chunks.rows(chunk) {
                            softmaxRowPullback(dx + i * width, probabilities: p + i * width, count: width)
                        }
                    }
                }
            }
            accumulator.add(inputGradient, to: x)
        }
    }

    func logSoftmax(_ x: Variable) -> Variable {
        let input = value(x)
        let width = input.columns
        let differentiable = needsGradient(x)
        var result = input  // m x n
        // e^y, for the pullback only (m x n, else empty).
        var probabilities = Tensor<Scalar>.uninitialized(rows: differentiable ? input.rows : 0, columns: width)
        let chunks = RowChunks(rows: input.rows, columns: width)
        let threads = self.threads
        result.elements.withUnsafeMutableBufferPointer { out in
            probabilities.elements.withUnsafeMutableBufferPointer { p in
                let (out, p) = (out.baseAddress!, differentiable ? p.baseAddress : nil)
                ParallelChunks.run(chunks: chunks.chunks, threads: threads) { chunk in
                    let shifted = UnsafeMutablePointer<Scalar>.allocate(capacity: max(width, 1))  // one row
                    defer { shifted.deallocate() }
                    for i in chunks.rows(chunk) {
                        let row = out + i * width
                        var top = -Scalar.infinity
                        for j in 0..<width { top = max(top, row[j]) }
                        for j in 0..<width { shifted[j] = row[j] - top }
                        Scalar.exponentiate(shifted, count: width)
                        var total: Scalar = 0
                        for j in 0..<width { total += shifted[j] }
                        // (x - max) - ln(total), not x - (max + ln(total)): the latter rounds ln(total)
                        // to the ulp of max and loses digits when |max| is large.
                        let logTotal = Scalar.log(total)
                        for j in 0..<width { row[j] = (row[j] - top) - logTotal }
                        if let p {
                            let probabilities = p + i * width
                            for j in 0..<width { probabilities[j] = row[j] }
                            Scalar.exponentiate(probabilities, count: width)
                        }
                    }
                }
            }
        }
        return record(result, inputs: [x]) { upstream, accumulator in
            var inputGradient = upstream  // m x n
            inputGradient.elements.withUnsafeMutableBufferPointer { dx in
                probabilities.elements.withUnsafeBufferPointer { p in
                    let (dx, p) = (dx.baseAddress!, p.baseAddress!)
                    ParallelChunks.run(chunks: chunks.chunks, threads: threads) { chunk in
                        for i in chunks.rows(chunk) {
                            let (dx, p) = (dx + i * width, p + i * width)
                            var total: Scalar = 0
                            for j in 0..<width { total += dx[j] }
                            for j in 0..<width { dx[j] -= p[j] * total }
                        }
                    }
                }
            }
            accumulator.add(inputGradient, to: x)
        }
    }

    func causalMask(_ x: Variable, blockRows: Int) -> Variable {
        let input = value(x)
        precondition(blockRows > 0 && input.columns == blockRows && input.rows % blockRows == 0,
                     "causalMask: \(input.rows) x \(input.columns) is not a stack of \(blockRows) x \(blockRows) blocks")
        let width = input.columns
        var result = input  // (g T) x T
        result.elements.withUnsafeMutableBufferPointer { out in
            for row in 0..<input.rows {
                let position = row % blockRows
                for j in (position + 1)..<max(width, position + 1) { out[row * width + j] = -.infinity }
            }
        }
        return record(result, inputs: [x]) { upstream, accumulator in
            var inputGradient = upstream  // (g T) x T
            inputGradient.elements.withUnsafeMutableBufferPointer { dx in
                for row in 0..<input.rows {
                    let position = row % blockRows
                    for j in (position + 1)..<max(width, position + 1) { dx[row * width + j] = 0 }
                }
            }
            accumulator.add(inputGradient, to: x)
        }
    }
}

/// One row of `softmax` in place: p_j = e^{x_j - max} / sum_k e^{x_k - max}. Entries of -infinity
/// become exactly 0. (Shared with `causalSelfAttention`, so the fused kernel rounds as the composition.)
@inline(__always)
func softmaxRow<S: BLASScalar>(_ row: UnsafeMutablePointer<S>, count width: Int) {
    var top = -S.infinity
    for j in 0..<width { top = max(top, row[j]) }
    for j in 0..<width { row[j] -= top }
    S.exponentiate(row, count: width)
    var total: S = 0
    for j in 0..<width { total += row[j] }
    let inverse = 1 / total
    for j in 0..<width { row[j] *= inverse }
}

/// One row of the softmax pullback in place: dx = p * (G - <G, p>).
@inline(__always)
func softmaxRowPullback<S: BLASScalar>(_ dx: UnsafeMutablePointer<S>, probabilities p: UnsafePointer<S>, count width: Int) {
    var projection: S = 0
    for j in 0..<width { projection += dx[j] * p[j] }
    for j in 0..<width { dx[j] = p[j] * (dx[j] - projection) }
}
