import Foundation
import LinearAlgebra

// Goals, in priority order: (1) memory linear in the number of contexts: no contexts x V logits and no
// contexts x contexts kernel, only pieces of at most `rowBudget` rows; (2) the matrix products of a
// step and nothing more (two per step: the logits H W^T and the update G^T H), at the BLAS rate of the
// storage type; (3) the same figures as the whole-matrix simulators, to rounding.

/// Per-row results of one softmax piece: for each row, sum_v exp(l_v - m) (in double), the
/// log-sum-exp m + ln(sum) and the target log-probability l_y - logsumexp.
struct SoftmaxPieceStatistics {
    var sums: [Double]
    var logSumExp: [Double]
    var target: [Double]
}

/// The storage-generic core of `StreamedImplicitRewardModel`: the unembedding, the stacked contexts and
/// the scratch buffers, and the streamed passes over pieces of rows. Internal: the public type wraps the
/// two specializations, so that callers in other modules never run the generic (unspecialized) code.
struct StreamedReadoutEngine<Scalar: BLASScalar> {
    let vocabulary: Int
    let width: Int
    let rowBudget: Int
    var unembedding: ScalarMatrix<Scalar>
    /// Every context of the layout, in layout order.
    let contexts: ScalarMatrix<Scalar>
    let tokens: [Int]
    /// The pieces' exp-shifted logits, then their gradient rows: rowBudget x V.
    var buffer: [Scalar]
    /// The pieces' gathered contexts: rowBudget x d.
    var gathered: [Scalar]
    /// The raw update sum_l a_l (e_{y_l} - p_l) h_l^T of the last gradient pass: V x d.
    var update: ScalarMatrix<Scalar>
    /// E Delta for the first-order pass: rowBudget x d.
    var projected: [Scalar]

    init(unembedding: Matrix, contexts: Matrix, tokens: [Int], rowBudget: Int) {
        vocabulary = unembedding.rows
        width = unembedding.columns
        self.rowBudget = rowBudget
        self.unembedding = ScalarMatrix<Scalar>(unembedding)
        self.contexts = ScalarMatrix<Scalar>(contexts)
        self.tokens = tokens
        buffer = [Scalar](repeating: 0, count: rowBudget * vocabulary)
        gathered = [Scalar](repeating: 0, count: rowBudget * width)
        update = ScalarMatrix<Scalar>(rows: vocabulary, columns: width)
        projected = [Scalar](repeating: 0, count: rowBudget * width)
    }

    /// Bytes held: the unembedding, the contexts, the update and the scratch.
    var bytes: Int {
        unembedding.bytes + contexts.bytes + update.bytes
            + (buffer.count + gathered.count + projected.count) * MemoryLayout<Scalar>.stride
    }

    /// Logits of `rows` under `weights` (the unembedding or the reference) into `buffer`, replaced in place by
    /// exp(l - m) with m the row's maximum; returns each row's sum, log-sum-exp and target log-probability.
    /// A NaN or infinity anywhere in a row makes its sum, hence its log-sum-exp, non-finite.
    mutating func softmaxPiece(_ rows: ArraySlice<Int>, weights: ScalarMatrix<Scalar>) -> SoftmaxPieceStatistics {
        let count = rows.count
        precondition(count <= rowBudget, "a piece of \(count) rows exceeds the budget of \(rowBudget)")
        let d = width
        let v = vocabulary
        contexts.elements.withUnsafeBufferPointer { source in
            gathered.withUnsafeMutableBufferPointer { target in
                for (i, row) in rows.enumerated() {
                    (target.baseAddress! + i * d).update(from: source.baseAddress! + row * d, count: d)
                }
            }
        }
        // logits (count x V) = H_piece (count x d) W^T (d x V)
        gathered.withUnsafeBufferPointer { h in
            weights.elements.withUnsafeBufferPointer { w in
                buffer.withUnsafeMutableBufferPointer { c in
                    Scalar.gemm(transposeA: false, transposeB: true, m: count, n: v, k: d, alpha: 1,
                                a: h.baseAddress!, lda: d, b: w.baseAddress!, ldb: d, beta: 0, c: c.baseAddress!, ldc: v)
                }
            }
        }
        var statistics = SoftmaxPieceStatistics(sums: [Double](repeating: 0, count: count),
                                                logSumExp: [Double](repeating: 0, count: count),
                                                target: [Double](repeating: 0, count: count))
        let targets = rows.map { tokens[$0] }
        buffer.withUnsafeMutableBufferPointer { logits in
            statistics.sums.withUnsafeMutableBufferPointer { sums in
                statistics.logSumExp.withUnsafeMutableBufferPointer { lse in
                    statistics.target.withUnsafeMutableBufferPointer { target in
                        RowBlocks.forEachRow(rows: count, columns: v) { i in
                            let row = logits.baseAddress! + i * v
                            var top = row[0]
                            for j in 1..<v where row[j] > top { top = row[j] }
                            let targetLogit = Double(row[targets[i]])
                            var total = 0.0
                            for j in 0..<v {
                                let e = Scalar.exp(row[j] - top)
                                row[j] = e
                                total += Double(e)
                            }
                            sums[i] = total
                            lse[i] = Double(top) + log(total)
                            target[i] = targetLogit - lse[i]
                        }
                    }
                }
            }
        }
        return statistics
    }

    /// Turns the piece in `buffer` (exp-shifted logits, as `softmaxPiece` left them) into gradient rows
    /// a_i (e_{y_i} - p_i) and adds G^T H_piece (V x d) to `update` (the piece's contexts are still in
    /// `gathered`).
    mutating func accumulateGradient(_ rows: ArraySlice<Int>, sums: [Double], coefficients: [Double]) {
        let count = rows.count
        let v = vocabulary
        let d = width
        let targets = rows.map { tokens[$0] }
        buffer.withUnsafeMutableBufferPointer { logits in
            RowBlocks.forEachRow(rows: count, columns: v) { i in
                let row = logits.baseAddress! + i * v
                let a = coefficients[i]
                let scale = Scalar(-a / sums[i])
                for j in 0..<v { row[j] *= scale }
                row[targets[i]] += Scalar(a)
            }
        }
        // update (V x d) += G^T (V x count) H_piece (count x d)
        buffer.withUnsafeBufferPointer { g in
            gathered.withUnsafeBufferPointer { h in
                update.elements.withUnsafeMutableBufferPointer { c in
                    Scalar.gemm(transposeA: true, transposeB: false, m: v, n: d, k: count, alpha: 1,
                                a: g.baseAddress!, lda: v, b: h.baseAddress!, ldb: d, beta: 1, c: c.baseAddress!, ldc: d)
                }
            }
        }
    }

    /// Sets `update` to zero before a gradient pass.
    mutating func clearUpdate() {
        update.elements.withUnsafeMutableBufferPointer { u in
            u.update(repeating: 0)
        }
    }

    /// W <- W + alpha * update.
    mutating func applyUpdate(alpha: Double) {
        let step = Scalar(alpha)
        let d = width
        update.elements.withUnsafeBufferPointer { u in
            unembedding.elements.withUnsafeMutableBufferPointer { w in
                RowBlocks.forEachRow(rows: vocabulary, columns: d) { row in
                    for j in (row * d)..<((row + 1) * d) { w[j] += step * u[j] }
                }
            }
        }
    }

    /// For the piece in `buffer` (exp-shifted logits of the current W, contexts in `gathered`):
    /// per row, <update[y], h> and <p^T update, h> (the two terms of <e_y - p, update h>), in double.
    mutating func projectOntoUpdate(_ rows: ArraySlice<Int>, sums: [Double]) -> (target: [Double], mean: [Double]) {
        let count = rows.count
        let v = vocabulary
        let d = width
        // projected (count x d) = E (count x V) update (V x d); row i divided by sums[i] gives p_i^T update.
        buffer.withUnsafeBufferPointer { e in
            update.elements.withUnsafeBufferPointer { u in
                projected.withUnsafeMutableBufferPointer { c in
                    Scalar.gemm(transposeA: false, transposeB: false, m: count, n: d, k: v, alpha: 1,
                                a: e.baseAddress!, lda: v, b: u.baseAddress!, ldb: d, beta: 0, c: c.baseAddress!, ldc: d)
                }
            }
        }
        var target = [Double](repeating: 0, count: count)
        var mean = [Double](repeating: 0, count: count)
        gathered.withUnsafeBufferPointer { h in
            projected.withUnsafeBufferPointer { y in
                update.elements.withUnsafeBufferPointer { u in
                    for (i, row) in rows.enumerated() {
                        let token = tokens[row]
                        var onTarget = 0.0
                        var onMean = 0.0
                        for j in 0..<d {
                            let state = Double(h[i * d + j])
                            onTarget += Double(u[token * d + j]) * state
                            onMean += Double(y[i * d + j]) * state
                        }
                        target[i] = onTarget
                        mean[i] = onMean / sums[i]
                    }
                }
            }
        }
        return (target, mean)
    }
}
