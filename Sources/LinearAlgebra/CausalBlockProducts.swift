import CAttentionBlocks

/// The three products of one causal attention block, on the lower triangle that the causal mask leaves
/// nonzero, for a scalar with a kernel in CAttentionBlocks (`Double`, `Float`).
///
/// With T positions, a T x T lower-triangular L (weights or their gradient; entries above the diagonal
/// are never read) and T x n blocks read in place through row strides (ld*, row-major):
///
///     lowerProductTransposed:  C_ij = sum_{p < k} A_ip B_jp              for j <= i   (S = Q K^T)
///     lowerTimes:              C_i  = [C_i +] sum_{j <= i} L_ij X_j                   (O = P V)
///     lowerTransposeTimes:     C_j  = [C_j +] sum_{i >= j} L_ij X_i                   (dV = P^T G)
///
/// These are the gemms of attention with the masked half skipped: at the tiny model's block size
/// (37 x 37 x 8) a library gemm costs mostly call overhead and computes twice the needed entries.
///
/// Mathematical properties (tested against gemm on full matrices with the upper triangle zeroed):
/// - each entry is the same sum as the gemm's, in index order, so they agree to rounding (about k u or
///   T u relative to the sum of absolute terms);
/// - `accumulate` adds the product to C, as gemm with beta = 1; without it C is written, never read;
/// - the results do not depend on the CPU's vector width (no fused multiply-adds, fixed sum order).
public protocol CausalBlockProducts {
    /// C_ij = sum_{p < k} A_ip B_jp for 0 <= j <= i < t; C's entries above the diagonal are unspecified
    /// afterwards (each row of C needs room for t entries). `scratch` holds k t entries.
    static func lowerProductTransposed(t: Int, k: Int, a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
                                       c: UnsafeMutablePointer<Self>, ldc: Int, scratch: UnsafeMutablePointer<Self>)

    /// C_i = (accumulate ? C_i : 0) + sum_{j <= i} L_ij X_j for rows i < t of n columns.
    static func lowerTimes(t: Int, n: Int, l: UnsafePointer<Self>, ldl: Int, x: UnsafePointer<Self>, ldx: Int,
                           accumulate: Bool, c: UnsafeMutablePointer<Self>, ldc: Int)

    /// C_j = (accumulate ? C_j : 0) + sum_{i >= j} L_ij X_i for rows j < t of n columns.
    static func lowerTransposeTimes(t: Int, n: Int, l: UnsafePointer<Self>, ldl: Int, x: UnsafePointer<Self>, ldx: Int,
                                    accumulate: Bool, c: UnsafeMutablePointer<Self>, ldc: Int)
}

extension Double: CausalBlockProducts {
    public static func lowerProductTransposed(t: Int, k: Int, a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>,
                                              ldb: Int, c: UnsafeMutablePointer<Double>, ldc: Int,
                                              scratch: UnsafeMutablePointer<Double>)
    {
        tc_lower_product_transposed_d(t, k, a, lda, b, ldb, c, ldc, scratch)
    }

    public static func lowerTimes(t: Int, n: Int, l: UnsafePointer<Double>, ldl: Int, x: UnsafePointer<Double>, ldx: Int,
                                  accumulate: Bool, c: UnsafeMutablePointer<Double>, ldc: Int)
    {
        tc_lower_times_d(t, n, l, ldl, x, ldx, accumulate ? 1 : 0, c, ldc)
    }

    public static func lowerTransposeTimes(t: Int, n: Int, l: UnsafePointer<Double>, ldl: Int, x: UnsafePointer<Double>,
                                           ldx: Int, accumulate: Bool, c: UnsafeMutablePointer<Double>, ldc: Int)
    {
        tc_lower_transpose_times_d(t, n, l, ldl, x, ldx, accumulate ? 1 : 0, c, ldc)
    }
}

extension Float: CausalBlockProducts {
    public static func lowerProductTransposed(t: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                                              ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                                              scratch: UnsafeMutablePointer<Float>)
    {
        tc_lower_product_transposed_f(t, k, a, lda, b, ldb, c, ldc, scratch)
    }

    public static func lowerTimes(t: Int, n: Int, l: UnsafePointer<Float>, ldl: Int, x: UnsafePointer<Float>, ldx: Int,
                                  accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int)
    {
        tc_lower_times_f(t, n, l, ldl, x, ldx, accumulate ? 1 : 0, c, ldc)
    }

    public static func lowerTransposeTimes(t: Int, n: Int, l: UnsafePointer<Float>, ldl: Int, x: UnsafePointer<Float>,
                                           ldx: Int, accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int)
    {
        tc_lower_transpose_times_f(t, n, l, ldl, x, ldx, accumulate ? 1 : 0, c, ldc)
    }
}
