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

    /// `exp` of eight values at once: the same operations lane by lane (so each lane equals `exp` of it
    /// bit for bit), eight independent chains instead of one latency-bound Horner chain.
    @inline(__always)
    static func exp(_ x: SIMD8<Double>) -> SIMD8<Double> {
        let log2e = 1.4426950408889634
        let magic = 6755399441055744.0
        let ln2Hi = 6.93147180369123816490e-01
        let ln2Lo = 1.90821492927058770002e-10
        let low = SIMD8<Double>(repeating: -708)
        let high = SIMD8<Double>(repeating: 709)
        var clamped = x.replacing(with: low, where: x .< low)
        clamped = clamped.replacing(with: high, where: clamped .> high)
        let shifted = clamped * log2e + magic
        let n = shifted - magic
        let r = (clamped - n * ln2Hi) - n * ln2Lo
        var p = SIMD8<Double>(repeating: 1.0 / 6227020800.0)
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
        let bits = unsafeBitCast(shifted, to: SIMD8<UInt64>.self)
        let scale = unsafeBitCast((bits &+ 1023) &<< 52, to: SIMD8<Double>.self)
        var y = p * scale
        y = y.replacing(with: 0, where: x .< low)
        y = y.replacing(with: .infinity, where: x .> high)
        return y
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Double>) -> SIMD8<Double> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Double>.self)
    }

    /// output[i] = exp(input[i] - shift) for i in 0 ..< count (output may be input).
    public static func shiftedExponentials(_ input: UnsafePointer<Double>, shift: Double, count: Int,
                                           into output: UnsafeMutablePointer<Double>)
    {
        var i = 0
        while i + 8 <= count {
            let e = exp(load(input + i) - shift)
            UnsafeMutableRawPointer(output + i).storeBytes(of: e, as: SIMD8<Double>.self)
            i += 8
        }
        while i < count { output[i] = exp(input[i] - shift); i += 1 }
    }

    /// The largest of `count` values, ignoring NaNs (-infinity when all are NaN or count is 0).
    public static func maximum(_ input: UnsafePointer<Double>, count: Int) -> Double {
        var m = SIMD8<Double>(repeating: -.infinity)
        var i = 0
        while i + 8 <= count {
            let v = load(input + i)
            m = m.replacing(with: v, where: v .> m)
            i += 8
        }
        var top = -Double.infinity
        for lane in 0..<8 where m[lane] > top { top = m[lane] }
        while i < count { if input[i] > top { top = input[i] }; i += 1 }
        return top
    }

    /// ln sum_i e^{x_i} of one row, shifted by its maximum, and that maximum and the sum of the
    /// e^{x_i - max} (entry i summed in lane i % 8 of eight running sums, the last count % 8 entries in a
    /// ninth, then the lanes pairwise). With `kept`, the e^{x_i - max} are left there (count entries);
    /// the result is the same either way. A +-infinite maximum is returned as it is (sum NaN), and a
    /// NaN anywhere in the row makes the result NaN.
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
        var lanes = SIMD8<Double>(repeating: 0)
        var tail = 0.0
        var i = 0
        if let kept {
            while i + 8 <= count {
                let e = exp(load(input + i) - top)
                UnsafeMutableRawPointer(kept + i).storeBytes(of: e, as: SIMD8<Double>.self)
                lanes += e
                i += 8
            }
            while i < count { let e = exp(input[i] - top); kept[i] = e; tail += e; i += 1 }
        } else {
            while i + 8 <= count {
                lanes += exp(load(input + i) - top)
                i += 8
            }
            while i < count { tail += exp(input[i] - top); i += 1 }
        }
        let total = (((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7])))
            + tail
        return (top + Foundation.log(total), top, total)
    }
}
