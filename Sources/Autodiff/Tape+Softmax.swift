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
        let input = value(x)
        let width = input.columns
        var result = input  // m x n
        result.elements.withUnsafeMutableBufferPointer { out in
            for i in 0..<input.rows {
                let base = i * width
                var top = -Double.infinity
                for j in 0..<width { top = max(top, out[base + j]) }
                var total = 0.0
                for j in 0..<width {
                    let e = exp(out[base + j] - top)
                    out[base + j] = e
                    total += e
                }
                let inverse = 1 / total
                for j in 0..<width { out[base + j] *= inverse }
            }
        }
        return record(result, inputs: [x]) { upstream, accumulator in
            var inputGradient = upstream  // m x n
            inputGradient.elements.withUnsafeMutableBufferPointer { dx in
                result.elements.withUnsafeBufferPointer { p in
                    for i in 0..<input.rows {
                        let base = i * width
                        var projection = 0.0
                        for j in 0..<width { projection += dx[base + j] * p[base + j] }
                        for j in 0..<width { dx[base + j] = p[base + j] * (dx[base + j] - projection) }
                    }
                }
            }
            accumulator.add(inputGradient, to: x)
        }
    }

    /// Row-wise log-softmax: y_ij = x_ij - ln sum_k e^{x_ik}, computed with the row maximum subtracted so it
    /// never overflows. Pullback: dx = G - softmax(x) rowsum(G).
    ///
    /// Mathematical properties: every row of e^y sums to 1; y <= 0.
    public func logSoftmax(_ x: Variable) -> Variable {
        let input = value(x)
        let width = input.columns
        var result = input  // m x n
        var probabilities = input  // m x n
        result.elements.withUnsafeMutableBufferPointer { out in
            probabilities.elements.withUnsafeMutableBufferPointer { p in
                for i in 0..<input.rows {
                    let base = i * width
                    var top = -Double.infinity
                    for j in 0..<width { top = max(top, out[base + j]) }
                    var total = 0.0
                    for j in 0..<width { total += exp(out[base + j] - top) }
                    // (x - max) - ln(total), not x - (max + ln(total)): the latter rounds ln(total)
                    // to the ulp of max and loses digits when |max| is large.
                    let logTotal = log(total)
                    for j in 0..<width {
                        let logProbability = (out[base + j] - top) - logTotal
                        out[base + j] = logProbability
                        p[base + j] = exp(logProbability)
                    }
                }
            }
        }
        return record(result, inputs: [x]) { upstream, accumulator in
            var inputGradient = upstream  // m x n
            inputGradient.elements.withUnsafeMutableBufferPointer { dx in
                probabilities.elements.withUnsafeBufferPointer { p in
                    for i in 0..<input.rows {
                        let base = i * width
                        var total = 0.0
                        for j in 0..<width { total += dx[base + j] }
                        for j in 0..<width { dx[base + j] -= p[base + j] * total }
                    }
                }
            }
            accumulator.add(inputGradient, to: x)
        }
    }

    /// Causal mask for stacked square score blocks: X is (g T) x T, and inside each T x T block the entry
    /// (i, j) with j > i (a later position) becomes -infinity, so that the following `softmax` gives it
    /// weight 0. Pullback: G on the kept entries, 0 on the masked ones.
    public func causalMask(_ x: Variable, blockRows: Int) -> Variable {
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
