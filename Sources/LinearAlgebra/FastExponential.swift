import CFastExp
import Foundation

/// A branch-free exp over contiguous rows, for the IM-RM read-outs, whose row log-sum-exps and softmax
/// rows over every context and token were most of a `dynamics` run's exp work (libm's scalar exp, one
/// call per logit, was a third of the run's CPU time).
///
/// exp(x) = 2^n e^r with n = round(x / ln 2) and r = x - n ln 2 (Cody-Waite, ln 2 split in two so
/// n ln2Hi is exact), e^r from its degree-13 Taylor polynomial (|r| <= 0.35: truncation below 5e-18
/// relative), 2^n from the exponent bits. Accurate to about 2 ulp (libm's exp: under 1 ulp), so results
/// that use it differ from libm's in the last bits. The loop has no branches and no calls, so the
/// compiler vectorizes it.
///
/// Range: 0 below -708 (where libm gives subnormals under 2.3e-308), +infinity above 709, NaN for NaN.
public enum FastExponential {
    @inline(__always)
    public static func exp(_ x: Double) -> Double {
        let log2e = 1.4426950408889634
        let magic = 6755399441055744.0  // 1.5 * 2^52: adding it rounds to an integer kept in the low bits
        let ln2Hi = 6.93147180369123816490e-01  // low 21 bits zero: n * ln2Hi is exact for |n| < 2^21
        let ln2Lo = 1.90821492927058770002e-10
        let clamped = x < -708 ? -708 : (x > 709 ? 709 : x)  // NaN fails both tests and stays NaN
        let shifted = clamped * log2e + magic
        let n = shifted - magic
        let r = (clamped - n * ln2Hi) - n * ln2Lo
        var p = 1.0 / 6227020800.0  // 1/13!
        p = p * r + 1.0 / 479001600.0
        p = p * r + 1.0 / 39916800.0
        p = p * r + 1.0 / 3628800.0
        p = p * r + 1.0 / 362880.0
        p = p * r + 1.0 / 40320.0
        p = p * r + 1.0 / 5040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        p = p * r + 1.0
        // low bits of `shifted` hold n + 2^51; shifted left by 52 only n's bits survive
        let scale = Double(bitPattern: (shifted.bitPattern &+ 1023) &<< 52)
        let y = p * scale
        return x < -708 ? 0 : (x > 709 ? .infinity : y)
    }

    /// output[i] = exp(input[i] - shift) for i in 0 ..< count (CFastExp's loop: the same bits as `exp`).
    public static func shiftedExponentials(_ input: UnsafePointer<Double>, shift: Double, count: Int,
                                           into output: UnsafeMutablePointer<Double>)
    {
        tc_row_exp(input, count, shift, output)
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
