import LinearAlgebra

extension Tape {
    /// Causal multi-head self-attention over a batch of equally padded sequences, as one fused node.
    ///
    /// `queryKeyValue` is N x 3d with N = B T rows (B sequences of T positions, sequence-major) and columns
    /// [Q | K | V], each third cut into `heads` contiguous blocks of width d_h = d / heads. For every
    /// sequence s and head h, with Q_sh, K_sh, V_sh the T x d_h blocks of that sequence and head,
    ///
    ///     O_sh = softmax(causalMask(Q_sh K_sh^T / sqrt(d_h))) V_sh                       (T x d_h)
    ///
    /// and the N x d output holds O_sh in the rows of s and the columns of head h (heads merged).
    ///
    /// This is the composition the model used to record primitive by primitive (heads sliced and
    /// stacked, `blockMatmul` with K transposed, `scale`, `causalMask`, `softmax`, `blockMatmul`, heads
    /// merged), as one node instead of about twenty, with every block read in place through leading
    /// dimensions. Its products are `CausalBlockProducts` instead of gemm: the same sums restricted to
    /// the lower triangle the mask keeps (the masked half adds exact zeros in the composition), in index
    /// order, so values and gradients agree with the composition to rounding, not bit for bit (at these
    /// block sizes, 37 x 37 x 8 in the Hamiltonian run, a library gemm is mostly call overhead). The
    /// scale, mask and softmax are the composition's, entry for entry. Blocks run on the tape's threads,
    /// one sequence per chunk.
    ///
    /// Pullback, with P_sh the attention weights and G_sh the block of the upstream gradient:
    /// dV = P^T G; dS = P * (G V^T - rowsum(G V^T * P)) / sqrt(d_h), 0 above the diagonal; dQ = dS K,
    /// dK = dS^T Q (all per block, accumulated into the gradient of `queryKeyValue`).
    public func causalSelfAttention(_ queryKeyValue: Variable, heads: Int, sequenceLength: Int) -> Variable {
        dispatch({ $0.causalSelfAttention(queryKeyValue, heads: heads, length: sequenceLength) },
                 { $0.causalSelfAttention(queryKeyValue, heads: heads, length: sequenceLength) })
    }
}

extension TypedTape {
    func causalSelfAttention(_ queryKeyValue: Variable, heads: Int, length: Int) -> Variable {
        let input = value(queryKeyValue)  // N x 3d
        precondition(heads > 0 && length > 0 && input.columns % (3 * heads) == 0 && input.rows % length == 0,
                     "causalSelfAttention: \(input.rows) x \(input.columns) is not N x 3d for \(heads) heads and sequences of \(length)")
        let width = input.columns / 3  // d
        let headWidth = width / heads  // d_h
        let sequences = input.rows / length  // B
        let stride = input.columns  // 3d, the leading dimension of Q, K and V
        let blockSize = length * length  // T^2, one score block
        // The factor the composition applied with `scale`, rounded to the tape's precision the same way.
        let factor = Scalar(1 / Double(headWidth).squareRoot())
        let differentiable = needsGradient(queryKeyValue)
        let threads = self.threads
        var result = Tensor<Scalar>.uninitialized(rows: input.rows, columns: width)  // N x d, every block written
        // The attention weights of every (sequence, head) block, kept for the pullback: (B H T) x T.
        var weights = Tensor<Scalar>.uninitialized(rows: differentiable ? sequences * heads * length : 0, columns: length)
        input.elements.withUnsafeBufferPointer { qkv in
            result.elements.withUnsafeMutableBufferPointer { out in
                weights.elements.withUnsafeMutableBufferPointer { kept in
                    // (An empty buffer's base address may be non-nil: `differentiable` decides, not the pointer.)
                    let (qkv, out, kept) = (qkv.baseAddress!, out.baseAddress!, differentiable ? kept.baseAddress : nil)
                    ParallelChunks.run(chunks: sequences, threads: threads) { sequence in
                        // Without a pullback the weights live only as long as one block.
                        let scratch = kept == nil ? UnsafeMutablePointer<Scalar>.allocate(capacity: blockSize) : nil
                        let transposed = UnsafeMutablePointer<Scalar>.allocate(capacity: length * headWidth)  // K^T
                        defer {
                            scratch?.deallocate()
                            transposed.deallocate()
                        }
                        for head in 0..<heads {
                            let query = qkv + sequence * length * stride + head * headWidth  // T x d_h, ld 3d
                            let key = query + width
                            let value = query + 2 * width
                            let scores = scratch ?? kept! + (sequence * heads + head) * blockSize  // T x T
                            // S = Q K^T on the lower triangle (the rest is masked).
                            Scalar.lowerProductTransposed(t: length, k: headWidth, a: query, lda: stride, b: key,
                                                          ldb: stride, c: scores, ldc: length, scratch: transposed)
                            for i in 0..<length {
                                let row = scores + i * length
                                // Scale, mask the later positions, softmax. A masked entry (-infinity) gets
                                // e^{-inf} = 0, which changes neither the row maximum nor the sum (a positive
                                // sum plus +0 is itself), so the softmax of the first i + 1 entries with
                                // zeros after them is the composition's row bit for bit.
                                for j in 0...i { row[j] *= factor }
                                softmaxRow(row, count: i + 1)
                                for j in (i + 1)..<length { row[j] = 0 }
                            }
                            // O = P V (P lower triangular), written into the columns of this head.
                            Scalar.lowerTimes(t: length, n: headWidth, l: scores, ldl: length, x: value, ldx: stride,
                                              accumulate: false, c: out + sequence * length * width + head * headWidth,
                                              ldc: width)
                        }
                    }
                }
            }
        }
        return record(result, inputs: [queryKeyValue]) { upstream, accumulator in
            // The three gemms per block write the Q, K and V columns of that block: together every entry.
            accumulator.accumulateProduct(into: queryKeyValue) { target in
                input.elements.withUnsafeBufferPointer { qkv in
                    upstream.elements.withUnsafeBufferPointer { g in
                        weights.elements.withUnsafeBufferPointer { kept in
                            let (qkv, g, kept) = (qkv.baseAddress!, g.baseAddress!, kept.baseAddress!)
                            let (dqkv, beta) = (target.buffer, target.beta)
                            ParallelChunks.run(chunks: sequences, threads: threads) { sequence in
                                let scoresGradient = UnsafeMutablePointer<Scalar>.allocate(capacity: blockSize)  // T x T
                                let transposed = UnsafeMutablePointer<Scalar>.allocate(capacity: length * headWidth)  // V^T
                                defer {
                                    scoresGradient.deallocate()
                                    transposed.deallocate()
                                }
                                let accumulate = beta != 0
                                for head in 0..<heads {
                                    let offset = sequence * length * stride + head * headWidth
                                    let (query, key, value) = (qkv + offset, qkv + offset + width, qkv + offset + 2 * width)
                                    let (dQuery, dKey, dValue) = (dqkv + offset, dqkv + offset + width,
                                                                  dqkv + offset + 2 * width)
                                    let p = kept + (sequence * heads + head) * blockSize  // T x T
                                    let upstreamBlock = g + sequence * length * width + head * headWidth  // T x d_h, ld d
                                    // dP = G V^T on the lower triangle (T x T); dV += P^T G (T x d_h).
                                    Scalar.lowerProductTransposed(t: length, k: headWidth, a: upstreamBlock, lda: width,
                                                                  b: value, ldb: stride, c: scoresGradient, ldc: length,
                                                                  scratch: transposed)
                                    Scalar.lowerTransposeTimes(t: length, n: headWidth, l: p, ldl: length, x: upstreamBlock,
                                                               ldx: width, accumulate: accumulate, c: dValue, ldc: stride)
                                    // The softmax, mask and scale pullbacks, row by row. The masked entries
                                    // (p = 0) add +-0 to the projection <dP, p>, which leaves a sum that starts
                                    // at +0 unchanged, and their gradient is 0 after the mask: so the first
                                    // i + 1 entries carry the whole computation, bit for bit.
                                    for i in 0..<length {
                                        let row = scoresGradient + i * length
                                        softmaxRowPullback(row, probabilities: p + i * length, count: i + 1)
                                        for j in 0...i { row[j] *= factor }
                                        for j in (i + 1)..<length { row[j] = 0 }
                                    }
                                    // dQ += dS K; dK += dS^T Q (T x d_h each; dS lower triangular).
                                    Scalar.lowerTimes(t: length, n: headWidth, l: scoresGradient, ldl: length, x: key,
                                                      ldx: stride, accumulate: accumulate, c: dQuery, ldc: stride)
                                    Scalar.lowerTransposeTimes(t: length, n: headWidth, l: scoresGradient, ldl: length,
                                                               x: query, ldx: stride, accumulate: accumulate, c: dKey,
                                                               ldc: stride)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
