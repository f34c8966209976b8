import LinearAlgebra

extension Tape {
    /// C = op(A) op(B), op(X) = X or X^T, through BLAS gemm.
    ///
    /// Pullback (G = dL/dC), each a gemm accumulating into the input's gradient:
    /// dL/dA = G op(B)^T (or its transpose when A enters transposed), dL/dB = op(A)^T G (or its transpose).
    /// With several threads the two gemms run concurrently.
    public func matmul(_ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false)
        -> Variable
    {
        dispatch({ $0.matmul(a, b, transposeA: transposeA, transposeB: transposeB, bias: nil) },
                 { $0.matmul(a, b, transposeA: transposeA, transposeB: transposeB, bias: nil) })
    }

    /// Y = X W + 1 b: a product and a 1 x n bias row added to every row, as one node (the value and the
    /// gradients are exactly those of `addRowVector(matmul(x, weight), bias)`, one copy of Y fewer).
    /// Pullback: dX = G W^T, dW = X^T G, db = the column sums of G.
    public func linear(_ x: Variable, _ weight: Variable, _ bias: Variable) -> Variable {
        dispatch({ $0.matmul(x, weight, transposeA: false, transposeB: false, bias: bias) },
                 { $0.matmul(x, weight, transposeA: false, transposeB: false, bias: bias) })
    }

    /// Block-diagonal batched product: the rows of A and of B are cut into `blocks` equal, contiguous
    /// blocks, and block g of the result is C_g = A_g op(B_g).
    ///
    /// Each block is one gemm on the blocks in place (no copies); blocks run on the tape's threads.
    /// Shapes: A is (blocks r_a) x k, B is (blocks r_b) x n (or (blocks r_b) x k with `transposeB`),
    /// C is (blocks r_a) x n (or (blocks r_a) x r_b).
    public func blockMatmul(_ a: Variable, _ b: Variable, blocks: Int, transposeB: Bool = false) -> Variable {
        dispatch({ $0.blockMatmul(a, b, blocks: blocks, transposeB: transposeB) },
                 { $0.blockMatmul(a, b, blocks: blocks, transposeB: transposeB) })
    }
}

extension TypedTape {
    func matmul(_ a: Variable, _ b: Variable, transposeA: Bool, transposeB: Bool, bias: Variable?) -> Variable {
        let left = value(a)
        let right = value(b)
        var result = rowSplitProduct(left, transposeA: transposeA, right, transposeB: transposeB)  // op(A) x op(B)
        if let bias {
            let row = value(bias)
            precondition(row.rows == 1 && row.columns == result.columns,
                         "linear: bias is \(row.rows) x \(row.columns), rows of X W have \(result.columns) entries")
            addBiasRow(row, to: &result)
        }
        let threads = self.threads
        return record(result, inputs: [a, b] + (bias.map { [$0] } ?? [])) { upstream, accumulator in
            if let bias, accumulator.wants(bias) { accumulator.add(columnSums(upstream), to: bias) }
            typealias Target = GradientAccumulator<Scalar>.ProductTarget
            // dA: A = op(A)^T when transposed, so dA = op(B) G^T; else dA = G op(B)^T.
            func leftGradient(_ target: Target) {
                if transposeA {
                    rawGemm(right, transposeA: transposeB, upstream, transposeB: true, beta: target.beta,
                            into: target.buffer, rows: left.rows, columns: left.columns)
                } else {
                    rawGemm(upstream, right, transposeB: !transposeB, beta: target.beta, into: target.buffer,
                            rows: left.rows, columns: left.columns)
                }
            }
            // dB: B = op(B)^T when transposed, so dB = G^T op(A); else dB = op(A)^T G.
            func rightGradient(_ target: Target) {
                if transposeB {
                    rawGemm(upstream, transposeA: true, left, transposeB: transposeA, beta: target.beta,
                            into: target.buffer, rows: right.rows, columns: right.columns)
                } else {
                    rawGemm(left, transposeA: !transposeA, upstream, beta: target.beta, into: target.buffer,
                            rows: right.rows, columns: right.columns)
                }
            }
            if a == b {
                // X op(X): both terms add into the one gradient, in the serial order.
                accumulator.accumulateProduct(into: a, leftGradient)
                accumulator.accumulateProduct(into: b, rightGradient)
                return
            }
            accumulator.accumulateProducts(into: a, and: b) { dA, dB in
                let jobs = (dA == nil ? 0 : 1) + (dB == nil ? 0 : 1)
                ParallelChunks.run(chunks: jobs, threads: threads) { job in
                    if job == 0, let dA { leftGradient(dA) } else if let dB { rightGradient(dB) }
                }
            }
        }
    }

    /// op(A) op(B), with the rows of a tall A cut in two halves whose gemms run on two threads. The cut
    /// depends on the shape alone (at least `splitRows` rows in each half), so one thread computes the
    /// very same two gemms; each half is a full-size gemm, so it takes the same kernel path, and every
    /// entry is the same k-long sum, as in the uncut product.
    func rowSplitProduct(_ a: Tensor<Scalar>, transposeA: Bool, _ b: Tensor<Scalar>, transposeB: Bool) -> Tensor<Scalar> {
        let splitRows = 512
        let m = transposeA ? a.columns : a.rows
        let k = transposeA ? a.rows : a.columns
        if transposeA || m < 2 * splitRows || k == 0 {
            return product(a, transposeA: transposeA, b, transposeB: transposeB)
        }
        let n = transposeB ? b.rows : b.columns
        precondition(k == (transposeB ? b.columns : b.rows), "gemm: op(A) is \(m) x \(k) but op(B) does not have \(k) rows")
        var c = Tensor<Scalar>.uninitialized(rows: m, columns: n)
        let half = m / 2
        a.elements.withUnsafeBufferPointer { pa in
            b.elements.withUnsafeBufferPointer { pb in
                c.elements.withUnsafeMutableBufferPointer { pc in
                    let (pa, pb, pc) = (pa.baseAddress!, pb.baseAddress!, pc.baseAddress!)
                    ParallelChunks.run(chunks: 2, threads: threads) { part in
                        let (start, rows) = part == 0 ? (0, half) : (half, m - half)
                        Scalar.gemm(transposeA: false, transposeB: transposeB, m: rows, n: n, k: k, alpha: 1,
                                    a: pa + start * k, lda: max(k, 1), b: pb, ldb: max(b.columns, 1), beta: 0,
                                    c: pc + start * n, ldc: max(n, 1))
                    }
                }
            }
        }
        return c
    }

    func blockMatmul(_ a: Variable, _ b: Variable, blocks: Int, transposeB: Bool) -> Variable {
        let left = value(a)
        let right = value(b)
        precondition(blocks > 0 && left.rows % blocks == 0 && right.rows % blocks == 0,
                     "blockMatmul: \(left.rows) x \(left.columns) and \(right.rows) x \(right.columns) do not split into \(blocks) row blocks")
        let leftRows = left.rows / blocks
        let rightRows = right.rows / blocks
        let inner = transposeB ? right.columns : rightRows
        precondition(left.columns == inner,
                     "blockMatmul: blocks of A are \(leftRows) x \(left.columns), blocks of op(B) have \(inner) rows")
        let outputColumns = transposeB ? rightRows : right.columns
        let k = left.columns
        let n = right.columns
        var result = Tensor<Scalar>.uninitialized(rows: left.rows, columns: outputColumns)  // (blocks r_a) x n, gemm beta = 0
        let threads = self.threads
        left.elements.withUnsafeBufferPointer { pa in
            right.elements.withUnsafeBufferPointer { pb in
                result.elements.withUnsafeMutableBufferPointer { pc in
                    let (pa, pb, pc) = (pa.baseAddress!, pb.baseAddress!, pc.baseAddress!)
                    ParallelChunks.run(chunks: blocks, threads: threads) { block in
                        // C_g = A_g op(B_g): r_a x n.
                        Scalar.gemm(transposeA: false, transposeB: transposeB, m: leftRows, n: outputColumns, k: k,
                                    alpha: 1, a: pa + block * leftRows * k, lda: max(k, 1),
                                    b: pb + block * rightRows * n, ldb: max(n, 1), beta: 0,
                                    c: pc + block * leftRows * outputColumns, ldc: max(outputColumns, 1))
                    }
                }
            }
        }
        return record(result, inputs: [a, b]) { upstream, accumulator in
            let wantsLeft = accumulator.wants(a)
            let wantsRight = accumulator.wants(b)
            var leftGradient = Tensor<Scalar>.uninitialized(rows: wantsLeft ? left.rows : 0, columns: left.columns)
            var rightGradient = Tensor<Scalar>.uninitialized(rows: wantsRight ? right.rows : 0, columns: right.columns)
            left.elements.withUnsafeBufferPointer { pa in
                right.elements.withUnsafeBufferPointer { pb in
                    upstream.elements.withUnsafeBufferPointer { pg in
                        leftGradient.elements.withUnsafeMutableBufferPointer { da in
                            rightGradient.elements.withUnsafeMutableBufferPointer { db in
                                let (pa, pb, pg) = (pa.baseAddress!, pb.baseAddress!, pg.baseAddress!)
                                let (da, db) = (da.baseAddress, db.baseAddress)
                                ParallelChunks.run(chunks: blocks, threads: threads) { block in
                                    let g = pg + block * leftRows * outputColumns  // r_a x n
                                    let aBlock = pa + block * leftRows * k
                                    let bBlock = pb + block * rightRows * n
                                    if wantsLeft {
                                        // dA_g = G_g op(B_g)^T: r_a x k.
                                        Scalar.gemm(transposeA: false, transposeB: !transposeB, m: leftRows, n: k,
                                                    k: outputColumns, alpha: 1, a: g, lda: max(outputColumns, 1),
                                                    b: bBlock, ldb: max(n, 1), beta: 0, c: da! + block * leftRows * k,
                                                    ldc: max(k, 1))
                                    }
                                    if wantsRight {
                                        if transposeB {
                                            // dB_g = G_g^T A_g: r_b x k.
                                            Scalar.gemm(transposeA: true, transposeB: false, m: rightRows, n: k,
                                                        k: leftRows, alpha: 1, a: g, lda: max(outputColumns, 1),
                                                        b: aBlock, ldb: max(k, 1), beta: 0,
                                                        c: db! + block * rightRows * n, ldc: max(n, 1))
                                        } else {
                                            // dB_g = A_g^T G_g: r_b x n.
                                            Scalar.gemm(transposeA: true, transposeB: false, m: rightRows, n: n,
                                                        k: leftRows, alpha: 1, a: aBlock, lda: max(k, 1),
                                                        b: g, ldb: max(outputColumns, 1), beta: 0,
                                                        c: db! + block * rightRows * n, ldc: max(n, 1))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if wantsLeft { accumulator.add(leftGradient, to: a) }
            if wantsRight { accumulator.add(rightGradient, to: b) }
        }
    }
}

/// result += ... : gemm of whole tensors into a raw rows x columns buffer (shapes checked).
func rawGemm<S: BLASScalar>(_ a: Tensor<S>, transposeA: Bool = false, _ b: Tensor<S>, transposeB: Bool = false,
                            beta: S, into c: UnsafeMutablePointer<S>, rows: Int, columns: Int)
{
    let m = transposeA ? a.columns : a.rows
    let k = transposeA ? a.rows : a.columns
    let kB = transposeB ? b.columns : b.rows
    let n = transposeB ? b.rows : b.columns
    precondition(k == kB, "gemm: op(A) is \(m) x \(k) but op(B) is \(kB) x \(n)")
    precondition(rows == m && columns == n, "gemm: result is \(rows) x \(columns), expected \(m) x \(n)")
    if m == 0 || n == 0 { return }
    if k == 0 {
        // An empty sum: C = beta C, and C = 0 exactly when beta = 0 (C may not be set then).
        for index in 0..<(m * n) { c[index] = beta == 0 ? 0 : c[index] * beta }
        return
    }
    a.elements.withUnsafeBufferPointer { pa in
        b.elements.withUnsafeBufferPointer { pb in
            S.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1, a: pa.baseAddress!,
                   lda: max(a.columns, 1), b: pb.baseAddress!, ldb: max(b.columns, 1), beta: beta, c: c, ldc: max(n, 1))
        }
    }
}

/// X + 1 b in place: the 1 x n row added to every row (the arithmetic of `addRowVector`).
func addBiasRow<S: BLASScalar>(_ row: Tensor<S>, to x: inout Tensor<S>) {
    let width = x.columns
    let rows = x.rows
    x.elements.withUnsafeMutableBufferPointer { out in
        row.elements.withUnsafeBufferPointer { b in
            let (out, b) = (out.baseAddress!, b.baseAddress!)
            for i in 0..<rows {
                let target = out + i * width  // a row pointer: no checked index in the inner loop
                for j in 0..<width { target[j] += b[j] }
            }
        }
    }
}
