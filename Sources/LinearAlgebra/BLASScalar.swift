import CFastExp
import CLAPACK
import Foundation

/// The floating-point precision a computation runs in.
///
/// `float64` is the project's default and the only precision in which closed forms are checked to 1e-9
/// or tighter; `float32` is what the paper trains its models in (about 7 significant digits, twice the
/// gemm rate and half the memory traffic).
public enum Precision: String, Codable, CaseIterable, Sendable {
    case float64
    case float32

    /// The unit roundoff u = 2^-p of the format (p = 53 or 24): every basic operation is exact up to a
    /// relative error of u.
    public var unitRoundoff: Double {
        switch self {
        case .float64: return Double.ulpOfOne / 2
        case .float32: return Double(Float.ulpOfOne) / 2
        }
    }
}

/// A scalar the BLAS level-3 kernels work on: `Double` (dgemm) or `Float` (sgemm), with the elementary
/// functions of the tape's kernels in that precision.
///
/// Every requirement is a thin, inlinable forwarder to CBLAS or the C math library, so generic code
/// specialized for one of the two types is the code one would write by hand for it.
public protocol BLASScalar: BinaryFloatingPoint, Sendable, CausalBlockProducts {
    static var precision: Precision { get }

    /// C <- alpha op(A) op(B) + beta C on raw row-major storage: op(A) is m x k, op(B) is k x n, C is
    /// m x n, with leading dimensions (row strides) lda, ldb, ldc, so sub-blocks of larger matrices can
    /// be passed without copying.
    static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Self,
                     a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int, beta: Self,
                     c: UnsafeMutablePointer<Self>, ldc: Int)

    static func exp(_ x: Self) -> Self
    /// values[i] <- e^{values[i]} for i < count, in place: the kernels' one bulk exponential.
    static func exponentiate(_ values: UnsafeMutablePointer<Self>, count: Int)
    static func log(_ x: Self) -> Self
    /// ln(1 + x), accurate for small x.
    static func log1p(_ x: Self) -> Self

    /// Rounds `values` to this precision (the identity for `Double`).
    static func converting(_ values: [Double]) -> [Self]
    /// Widens `values` to `Double` (exact; the identity for `Double`).
    static func widening(_ values: [Self]) -> [Double]
}

extension Double: BLASScalar {
    public static var precision: Precision { .float64 }

    @inlinable
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                            a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int, beta: Double,
                            c: UnsafeMutablePointer<Double>, ldc: Int)
    {
        cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(max(lda, 1)), b, Int32(max(ldb, 1)), beta, c,
                    Int32(max(ldc, 1)))
    }

    @inlinable public static func exp(_ x: Double) -> Double { Foundation.exp(x) }

    /// `FastExponential`'s vectorized exp (CFastExp: within 4e-16 relative of libm's, about 2 ulp, the
    /// same bits on every CPU path). libm's scalar exp, one call per entry, was a quarter of a tiny-LM
    /// training run's CPU time (GELU and the attention softmax rows). Bulk and single-value results
    /// differ in the last bits: `exp` stays libm's.
    public static func exponentiate(_ values: UnsafeMutablePointer<Double>, count: Int) {
        FastExponential.exponentiate(values, count: count)
    }
    @inlinable public static func log(_ x: Double) -> Double { Foundation.log(x) }
    @inlinable public static func log1p(_ x: Double) -> Double { Foundation.log1p(x) }
    @inlinable public static func converting(_ values: [Double]) -> [Double] { values }
    @inlinable public static func widening(_ values: [Double]) -> [Double] { values }
}

extension Float: BLASScalar {
    public static var precision: Precision { .float32 }

    @inlinable
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
                            c: UnsafeMutablePointer<Float>, ldc: Int)
    {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(max(lda, 1)), b, Int32(max(ldb, 1)), beta, c,
                    Int32(max(ldc, 1)))
    }

    @inlinable public static func exp(_ x: Float) -> Float { Foundation.expf(x) }

    /// e^x by Cody-Waite range reduction and the Cephes expf polynomial, written without calls or
    /// branches so that the loop vectorizes (16 lanes with AVX-512): x = n ln 2 + r with n = round(x / ln 2)
    /// and |r| <= ln 2 / 2, e^r from a degree-7 polynomial (relative error below 2^-23 on that interval),
    /// and 2^n put straight into the exponent bits. Accuracy: within 2 ulp of the correctly rounded
    /// result for x in [-87.3, 88.3]; below that the result is 0 (e^-infinity = 0 exactly, as a masked
    /// softmax entry needs; subnormal results are flushed), above it e^88.3 (2.2e38, instead of infinity),
    /// far beyond where a softmax or GELU can tell.
    /// The loop is CFastExp's `tc_expf_in_place`, compiled for AVX-512, AVX2 and the baseline and chosen
    /// at run time, with the Swift loop's operations in its order and no FMA, so it gives that loop's
    /// bits on every path. (Swift code is built for the baseline, 4 lanes, where this exp was a tenth
    /// of a float32 training step.)
    public static func exponentiate(_ values: UnsafeMutablePointer<Float>, count: Int) {
        tc_expf_in_place(values, count)
    }
    @inlinable public static func log(_ x: Float) -> Float { Foundation.logf(x) }
    @inlinable public static func log1p(_ x: Float) -> Float { Foundation.log1pf(x) }
    @inlinable public static func converting(_ values: [Double]) -> [Float] { values.map { Float($0) } }
    @inlinable public static func widening(_ values: [Float]) -> [Double] { values.map { Double($0) } }
}
