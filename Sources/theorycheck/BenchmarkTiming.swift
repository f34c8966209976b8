import Foundation
import LinearAlgebra

/// Wall-clock timing of a repeated operation, and the machine's own dgemm rate to compare against.
///
/// Policy: the first call is timed. If it took `longCallSeconds` or more it is the only sample (a
/// function-space IM-RM step at the large size is about a teraflop; one is enough). Otherwise it was a
/// warm-up, and `repeats` samples follow, each a batch of calls lasting at least `minimumSampleSeconds`
/// so that microsecond steps are not lost in clock resolution. The figure reported is the best sample
/// (the machine is shared, so slower samples measure the other processes); the median is kept beside it.
struct BenchmarkTiming: Sendable {
    var repeats: Int
    var longCallSeconds = 10.0
    var minimumSampleSeconds = 0.05

    struct Measurement: Sendable {
        /// Seconds per call, best sample.
        let best: Double
        /// Seconds per call, median sample.
        let median: Double
        /// How many calls were timed in all (the warm-up excluded).
        let calls: Int
    }

    func measure(_ call: () throws -> Void) rethrows -> Measurement {
        let first = try Self.seconds(call)
        if first >= longCallSeconds || repeats == 0 {
            return Measurement(best: first, median: first, calls: 1)
        }
        let batch = max(1, min(1_000_000, Int((minimumSampleSeconds / max(first, 1e-9)).rounded(.up))))
        var samples: [Double] = []
        for _ in 0..<repeats {
            let elapsed = try Self.seconds {
                for _ in 0..<batch { try call() }
            }
            samples.append(elapsed / Double(batch))
        }
        samples.sort()
        return Measurement(best: samples[0], median: samples[samples.count / 2], calls: batch * repeats)
    }

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    }
}

/// The GFLOP/s of a square product C = A B (N x N, 2 N^3 flops) in one precision (dgemm for float64,
/// sgemm for float32) on the current BLAS thread setting: the reference rate of the machine.
struct GEMMProbe {
    /// N for a product comparable to an m x k by k x n one: the cube root of m k n, to a multiple of 32,
    /// clamped to [64, 2048] (beyond 2048 the rate of a two-core machine no longer grows, and larger probes
    /// would take most of the run).
    static func size(comparableTo product: (m: Int, k: Int, n: Int)) -> Int {
        let volume = Double(product.m) * Double(product.k) * Double(product.n)
        let side = Int(cbrt(volume) / 32) * 32
        return min(2048, max(64, side))
    }

    static func gflops(size n: Int, precision: Precision = .float64, timing: BenchmarkTiming, seed: UInt64)
        -> (gflops: Double, median: Double)
    {
        switch precision {
        case .float64: return gflops(Double.self, size: n, timing: timing, seed: seed)
        case .float32: return gflops(Float.self, size: n, timing: timing, seed: seed)
        }
    }

    private static func gflops<S: BLASScalar>(_: S.Type, size n: Int, timing: BenchmarkTiming, seed: UInt64)
        -> (gflops: Double, median: Double)
    {
        var generator = SeededGenerator(seed: seed)
        let a = S.converting(GaussianSampling.vector(count: n * n, using: &generator))
        let b = S.converting(GaussianSampling.vector(count: n * n, using: &generator))
        var c = [S](repeating: 0, count: n * n)
        let measurement = timing.measure {
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        S.gemm(transposeA: false, transposeB: false, m: n, n: n, k: n, alpha: 1, a: pa.baseAddress!,
                               lda: n, b: pb.baseAddress!, ldb: n, beta: 0, c: pc.baseAddress!, ldc: n)
                    }
                }
            }
        }
        let flops = 2 * Double(n) * Double(n) * Double(n)
        return (flops / measurement.best * 1e-9, flops / measurement.median * 1e-9)
    }
}
