import LinearAlgebra

extension Tape {
    /// C = op(A) op(B), op(X) = X or X^T, through BLAS gemm.
    ///
    /// Pullback (G = dL/dC), each a gemm accumulating into the input's gradient:
    /// dL/dA = G op(B)^T (or its transpose when A enters transposed), dL/dB = op(A)^T G (or its transpose).
    public func matmul(_ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false)
        -> Variable
    {
        let left = value(a)
        let right = value(b)
        let result = BLAS.product(left, transposeA: transposeA, right, transposeB: transposeB)  // op(A) x op(B)
        return record(result, inputs: [a, b]) { upstream, accumulator in
            accumulator.accumulate(into: a) { gradient in
                if transposeA {
                    // A = op(A)^T, so dA = op(B) G^T.
                    BLAS.gemm(right, transposeA: transposeB, upstream, transposeB: true, beta: 1, into: &gradient)
                } else {
                    BLAS.gemm(upstream, right, transposeB: !transposeB, beta: 1, into: &gradient)
                }
            }
            accumulator.accumulate(into: b) { gradient in
                if transposeB {
                    // B = op(B)^T, so dB = G^T op(A).
                    BLAS.gemm(upstream, transposeA: true, left, transposeB: transposeA, beta: 1, into: &gradient)
                } else {
                    BLAS.gemm(left, transposeA: !transposeA, upstream, beta: 1, into: &gradient)
                }
            }
        }
    }

    /// Block-diagonal batched product: the rows of A and of B are cut into `blocks` equal, contiguous
    /// blocks, and block g of the result is C_g = A_g op(B_g).
    ///
    /// This is the attention kernel: with one block per (head, sequence), Q_g K_g^T gives the scores and
    /// P_g V_g the weighted values, without ever forming cross-sequence products.
    /// Shapes: A is (blocks r_a) x k, B is (blocks r_b) x n (or (blocks r_b) x k with `transposeB`),
    /// C is (blocks r_a) x n (or (blocks r_a) x r_b).
    public func blockMatmul(_ a: Variable, _ b: Variable, blocks: Int, transposeB: Bool = false) -> Variable {
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
        var result = Matrix(rows: left.rows, columns: outputColumns)  // (blocks r_a) x n
        for block in 0..<blocks {
            let leftBlock = left.rowBlock(start: block * leftRows, count: leftRows)  // r_a x k
            let rightBlock = right.rowBlock(start: block * rightRows, count: rightRows)  // r_b x (n or k)
            let product = BLAS.product(leftBlock, rightBlock, transposeB: transposeB)  // r_a x n
            result.setRowBlock(product, start: block * leftRows)
        }
        return record(result, inputs: [a, b]) { upstream, accumulator in
            let wantsLeft = accumulator.wants(a)
            let wantsRight = accumulator.wants(b)
            var leftGradient = Matrix(rows: wantsLeft ? left.rows : 0, columns: left.columns)
            var rightGradient = Matrix(rows: wantsRight ? right.rows : 0, columns: right.columns)
            for block in 0..<blocks {
                let upstreamBlock = upstream.rowBlock(start: block * leftRows, count: leftRows)  // r_a x n
                let rightBlock = right.rowBlock(start: block * rightRows, count: rightRows)
                if wantsLeft {
                    // dA_g = G_g op(B_g)^T: r_a x k.
                    let piece = BLAS.product(upstreamBlock, rightBlock, transposeB: !transposeB)
                    leftGradient.setRowBlock(piece, start: block * leftRows)
                }
                if wantsRight {
                    let leftBlock = left.rowBlock(start: block * leftRows, count: leftRows)
                    // dB_g = A_g^T G_g (r_b x n), or G_g^T A_g (r_b x k) when B enters transposed.
                    let piece = transposeB
                        ? BLAS.product(upstreamBlock, transposeA: true, leftBlock)
                        : BLAS.product(leftBlock, transposeA: true, upstreamBlock)
                    rightGradient.setRowBlock(piece, start: block * rightRows)
                }
            }
            if wantsLeft { accumulator.add(leftGradient, to: a) }
            if wantsRight { accumulator.add(rightGradient, to: b) }
        }
    }
}
