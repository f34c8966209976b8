import Experiments
import Foundation
import LinearAlgebra
import TinyLM

/// One tiny-LM row of `theorycheck bench`: the library's timed training step (`TinyLMBenchmark.measure`)
/// beside the rate of a square gemm of its precision (dgemm or sgemm) on as many BLAS threads as the step
/// has threads, measured just before and just after it (the better of the two).
struct TinyLMBenchmarkRow: Encodable, Sendable {
    let step: TinyLMBenchmarkCase
    let gemmSize: Int
    let gemmGflops: Double

    /// GFLOP/s of the step over the gemm rate.
    var fractionOfGemm: Double { step.gflops / gemmGflops }

    enum CodingKeys: String, CodingKey {
        case gemmSize = "gemm_size"
        case gemmGflops = "gemm_gflops"
        case fractionOfGemm = "fraction_of_gemm"
    }

    func encode(to encoder: Encoder) throws {
        try step.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(gemmSize, forKey: .gemmSize)
        try container.encode(gemmGflops, forKey: .gemmGflops)
        try container.encode(fractionOfGemm, forKey: .fractionOfGemm)
    }
}

/// Times the tiny-LM training step at every size, precision and thread count.
struct TinyLMBenchmarkRunner {
    var sizes = TinyLMBenchmark.standardSizes
    var precisions: [Precision] = [.float64, .float32]
    var threadCounts = [1, 2]
    var batchSize = 32
    var timing: BenchmarkTiming
    var seed: UInt64

    func run(progress: (String) -> Void) throws -> [TinyLMBenchmarkRow] {
        var rows: [TinyLMBenchmarkRow] = []
        for size in sizes {
            let gemmSize = GEMMProbe.size(comparableTo: (batchSize * size.contextLength, size.width, size.mlpWidth))
            for precision in precisions {
                for threads in threadCounts {
                    let name = "tiny LM d = \(size.width), \(precision.rawValue), \(threads) thread\(threads == 1 ? "" : "s")"
                    progress("\(name): gemm \(gemmSize) x \(gemmSize)")
                    let before = referenceRate(size: gemmSize, precision: precision, threads: threads)
                    progress(name)
                    // The step's own threads; BLAS on one, so that no BLAS worker spins between products.
                    BLASThreads.useSingleThread()
                    let step = try TinyLMBenchmark.measure(size, precision: precision, threads: threads,
                                                           batchSize: batchSize, steps: stepsPerSample(size),
                                                           samples: max(3, timing.repeats), seed: seed)
                    progress("\(name): gemm \(gemmSize) x \(gemmSize)")
                    let after = referenceRate(size: gemmSize, precision: precision, threads: threads)
                    rows.append(TinyLMBenchmarkRow(step: step, gemmSize: gemmSize, gemmGflops: max(before, after)))
                }
            }
        }
        BLASThreads.useSingleThread()
        return rows
    }

    /// About half a second of steps per sample at the default sizes.
    private func stepsPerSample(_ size: TinyLMConfiguration) -> Int {
        size.width * size.layers * size.contextLength <= 64 * 2 * 32 ? 20 : 4
    }

    private func referenceRate(size: Int, precision: Precision, threads: Int) -> Double {
        BLASThreads.use(threads)
        defer { BLASThreads.useSingleThread() }
        return GEMMProbe.gflops(size: size, precision: precision, timing: timing, seed: seed).gflops
    }
}
