import Dispatch
import Foundation

// Goals, in priority order: (1) never overflow or produce NaN for finite input, (2) full relative
// accuracy in the tails that reward models live in (ln sigma of large negative margins), (3) speed.

/// Numerically stable scalar functions of the Bradley-Terry loss and the softmax.
public enum StableMath {
    /// softplus(x) = ln(1 + e^x), without overflow for large x and without cancellation for x << 0.
    public static func softplus(_ x: Double) -> Double {
        if x > 0 { return x + log1p(exp(-x)) }
        return log1p(exp(x))
    }

    /// ln sigma(x) = -softplus(-x).
    public static func logSigmoid(_ x: Double) -> Double {
        -softplus(-x)
    }

    /// sigma(x) = 1 / (1 + e^-x), evaluated on the side where the exponential cannot overflow.
    public static func sigmoid(_ x: Double) -> Double {
        if x >= 0 { return 1 / (1 + exp(-x)) }
        let e = exp(x)
        return e / (1 + e)
    }

    /// ln sum_i e^{x_i}, shifted by the maximum. -infinity for an empty input.
    public static func logSumExp<C: Collection>(_ x: C) -> Double where C.Element == Double {
        guard let top = x.max() else { return -.infinity }
        if !top.isFinite { return top }
        var total = 0.0
        for value in x { total += exp(value - top) }
        return top + log(total)
    }

    /// softmax(x)_i = e^{x_i - logSumExp(x)}; sums to 1 to rounding.
    public static func softmax(_ x: [Double]) -> [Double] {
        let shift = logSumExp(x)
        return x.map { exp($0 - shift) }
    }

    /// Row-wise log-sum-exp of a matrix of logits: `logSumExp` of every row, rows spread over the cores
    /// by `RowBlocks` (each row's sum is still taken in order, so the result does not depend on threading).
    public static func rowLogSumExp(_ logits: Matrix) -> [Double] {
        var result = [Double](repeating: 0, count: logits.rows)
        let width = logits.columns
        logits.elements.withUnsafeBufferPointer { p in
            result.withUnsafeMutableBufferPointer { out in
                RowBlocks.forEachRow(rows: logits.rows, columns: width) { i in
                    out[i] = logSumExp(UnsafeBufferPointer(rebasing: p[(i * width)..<((i + 1) * width)]))
                }
            }
        }
        return result
    }

    /// The softmax of the listed rows of `logits`, in that order (rows.count x V), computed row by row
    /// exactly as `rowSoftmax` computes them, without materializing the softmax of the other rows.
    public static func rowSoftmax(_ logits: Matrix, rows: [Int]) -> Matrix {
        let width = logits.columns
        var result = Matrix(rows: rows.count, columns: width)
        logits.elements.withUnsafeBufferPointer { p in
            result.elements.withUnsafeMutableBufferPointer { out in
                RowBlocks.forEachRow(rows: rows.count, columns: width) { j in
                    let i = rows[j]
                    precondition(i >= 0 && i < logits.rows, "Row \(i) out of range for \(logits.rows) x \(width)")
                    let shift = logSumExp(UnsafeBufferPointer(rebasing: p[(i * width)..<((i + 1) * width)]))
                    for v in 0..<width { out[j * width + v] = exp(p[i * width + v] - shift) }
                }
            }
        }
        return result
    }

    /// Row-wise softmax of a matrix of logits.
    public static func rowSoftmax(_ logits: Matrix) -> Matrix {
        let shifts = rowLogSumExp(logits)
        var result = logits
        let width = logits.columns
        result.elements.withUnsafeMutableBufferPointer { p in
            RowBlocks.forEachRow(rows: logits.rows, columns: width) { i in
                let shift = shifts[i]
                for j in 0..<width { p[i * width + j] = exp(p[i * width + j] - shift) }
            }
        }
        return result
    }
}
