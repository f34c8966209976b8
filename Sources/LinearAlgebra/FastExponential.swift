import CFastExp
import Foundation

/// A branch-free exp over contiguous rows, for the IM-RM read-outs, whose row log-sum-exps and softmax
/// rows over every context and token were most of a `dynamics` run's exp work (libm's scalar exp, one
/// call per logit, was a third of the run's CPU time). The loops are C (CFastExp), compiled for
/// AVX-512, AVX2 and the baseline and chosen at run time; plain IEEE operations without FMA, so every
/// path gives the same bits.
///
/// exp(x) = 2^m 2^(j/64) e^r with n = 64 m + j = round(64 x / ln 2) and r = x - n ln2/64 (Cody-Waite,
/// ln2/64 split in two), e^r from its degree-6 Taylor polynomial (|r| <= ln2/128: truncation below
/// 3e-20 relative), 2^(j/64) from a 64-entry table. Within 4e-16 relative of libm's exp (about 2 ulp;
/// libm: under 1 ulp), so results that use it differ from libm's in the last bits.
///
/// Range: 0 below -708 (where libm gives subnormals under 2.3e-308), +infinity above 709, NaN for NaN.
public enum FastExponential {
    /// One value (the row loops' exp, the same bits).
    public static func exp(_ x: Double) -> Double {
        var input = x
        var output = 0.0
        tc_row_exp(&input, 1, 0, &output)
        return output
    }

    /// output[i] = exp(input[i] - shift) for i in 0 ..< count (CFastExp's loop: the same bits as `exp`).
    public static func shiftedExponentials(_ input: UnsafePointer<Double>, shift: Double, count: Int,
                                           into output: UnsafeMutablePointer<Double>)
    {
        tc_row_exp(input, count, shift, output)
    }

    /// values[i] <- exp(values[i]) for i in 0 ..< count, in place (the same bits as `exp`).
    public static func exponentiate(_ values: UnsafeMutablePointer<Double>, count: Int) {
        tc_exp_in_place(values, count)
    }

    /// The largest of `count` values, ignoring NaNs (-infinity when all are NaN or count is 0).
    public static func maximum(_ input: UnsafePointer<Double>, count: Int) -> Double {
        tc_row_max(input, count)
    }

    /// ln sum_i e^{x_i} of one row, shifted by its maximum, and that maximum and the sum of the
    /// e^{x_i - max} (entry i summed in lane i % 8 of eight running sums, the last count % 8 entries in a
    /// ninth, then the lanes pairwise; CFastExp, vectorized for the CPU, the same bits on every path).
    /// With `kept`, the e^{x_i - max} are left there (count entries); the result is the same either way.
    /// A +-infinite maximum is returned as it is (sum NaN), and a NaN anywhere in the row makes the
    /// result NaN.
    public static func logSumExp(_ input: UnsafePointer<Double>, count: Int, keepingIn kept: UnsafeMutablePointer<Double>?)
        -> (logSumExp: Double, shift: Double, sum: Double)
    {
        if count == 0 { return (-.infinity, -.infinity, 0) }
        let top = maximum(input, count: count)
        if !top.isFinite {
            // all -infinity, or a +infinity; NaNs are ignored by `maximum` but must still show
            let anyNaN = (0..<count).contains { input[$0].isNaN }
            return (anyNaN ? .nan : top, top, .nan)
        }
        let total = tc_row_exp_sum(input, count, top, kept)
        return (top + Foundation.log(total), top, total)
    }
}
