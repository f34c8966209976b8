import Foundation
import LinearAlgebra

/// The training step of a `TinyLM` timed at a given size, precision and thread count: one Adam step on
/// the mean next-token loss of a full batch of random token sequences (forward, backward and update),
/// through the library's own `trainNextToken`.
public struct TinyLMBenchmarkCase: Codable, Equatable, Sendable {
    public let vocabularySize: Int
    public let width: Int
    public let layers: Int
    public let heads: Int
    public let contextLength: Int
    public let batchSize: Int
    public let precision: Precision
    /// `TinyLM.threads` (BLAS itself on one thread).
    public let threads: Int
    /// Timed steps per sample (after one untimed warm-up step).
    public let steps: Int
    /// Seconds per step: the best of the samples (the machine is shared; slower samples measure the
    /// other processes), and their median.
    public let secondsPerStep: Double
    public let secondsPerStepMedian: Double
    /// Process CPU seconds per step in the best sample (all threads together): on a loaded machine a
    /// better estimate of the unloaded single-thread time than the wall clock.
    public let cpuSecondsPerStep: Double
    /// batch * context / secondsPerStep: tokens read (and predicted) per second of training.
    public let tokensPerSecond: Double
    /// The floating-point operations of the step's matrix products (`TinyLMBenchmark.flopsPerStep`).
    public let flopsPerStep: Double
    /// flopsPerStep / secondsPerStep, in GFLOP/s.
    public let gflops: Double

    enum CodingKeys: String, CodingKey {
        case vocabularySize
        case width
        case layers, heads
        case contextLength = "context"
        case batchSize = "batch"
        case precision, threads
        case steps
        case secondsPerStep = "seconds_per_step"
        case secondsPerStepMedian = "seconds_per_step_median"
        case cpuSecondsPerStep = "cpu_seconds_per_step"
        case tokensPerSecond = "tokens_per_second"
        case flopsPerStep = "flops_per_step"
        case gflops
    }
}

/// Timing of TinyLM training steps, for `theorycheck bench`.
public enum TinyLMBenchmark {
    /// The two sizes the bench reports: the Persona backbone (d = 64, 2 layers, context 32, batch 32) and
    /// one twice as wide, twice as deep and twice as long (d = 128, 4 layers, context 64, batch 32).
    public static let standardSizes: [TinyLMConfiguration] = [
        TinyLMConfiguration(vocabularySize: 64, width: 64, layers: 2, heads: 4, contextLength: 32),
        TinyLMConfiguration(vocabularySize: 64, width: 128, layers: 4, heads: 4, contextLength: 64),
    ]

    /// The FLOPs of the matrix products of one training step on B sequences of T tokens (N = B T rows,
    /// d the width, m the MLP width, H heads of width d_h, V the vocabulary): per block the forward
    /// products are 2 N d (3d) (queries, keys, values), 2 B H T^2 d_h twice (scores and weighted values,
    /// full T x T blocks, as the gemms compute them), 2 N d d (attention output) and 2 N d m twice (MLP);
    /// then 2 N d V for the logits. Every product's pullback is two gemms of its size (the gradients of
    /// both factors), so a step is 3 times the forward count. Elementwise work (layer norms, GELU,
    /// softmax, Adam) is not counted, so GFLOP/s over the gemm rate says how close a step is to pure
    /// matrix multiplication.
    public static func flopsPerStep(_ c: TinyLMConfiguration, batchSize: Int, length: Int) -> Double {
        let n = Double(batchSize * length)
        let d = Double(c.width)
        let t = Double(length)
        let perBlock = 2 * n * d * 3 * d + 2 * 2 * Double(batchSize * c.heads) * t * t * Double(c.headWidth)
            + 2 * n * d * d + 2 * 2 * n * d * Double(c.mlpWidth)
        let forward = Double(c.layers) * perBlock + 2 * n * d * Double(c.vocabularySize)
        return 3 * forward
    }

    /// Times Adam steps at one size, precision and thread count on a batch of `batchSize` random
    /// full-context sequences (seeded): one warm-up step, then `samples` samples of `steps` steps each.
    /// Wall-clock time: run it with BLAS on one thread (`openblas_set_num_threads(1)`); `threads` are the
    /// model's own.
    public static func measure(_ configuration: TinyLMConfiguration, precision: Precision, threads: Int,
                               batchSize: Int = 32, steps: Int = 10, samples: Int = 3, seed: UInt64 = 0) throws
        -> TinyLMBenchmarkCase
    {
        precondition(steps > 0 && batchSize > 0 && samples > 0 && threads > 0,
                     "steps, batchSize, samples and threads must be positive")
        var sized = configuration
        sized.precision = precision
        var model = try TinyLM(configuration: sized, seed: seed)
        model.threads = threads
        var generator = SeededGenerator(seed: seed &+ 1)
        let sequences = (0..<batchSize).map { _ in
            (0..<sized.contextLength).map { _ in Int.random(in: 0..<sized.vocabularySize, using: &generator) }
        }
        let batch = try TokenBatch(sequences)
        var adam = Adam()
        try model.trainNextToken(on: batch, optimizer: &adam)  // warm-up: allocations, BLAS start-up
        var perStep: [(wall: Double, cpu: Double)] = []
        for _ in 0..<samples {
            let start = DispatchTime.now().uptimeNanoseconds
            let cpuStart = processCPUSeconds()
            for _ in 0..<steps { try model.trainNextToken(on: batch, optimizer: &adam) }
            perStep.append((Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(steps),
                            (processCPUSeconds() - cpuStart) / Double(steps)))
        }
        perStep.sort { $0.wall < $1.wall }
        let seconds = perStep[0].wall
        let flops = flopsPerStep(sized, batchSize: batchSize, length: sized.contextLength)
        return TinyLMBenchmarkCase(
            vocabularySize: sized.vocabularySize, width: sized.width, layers: sized.layers, heads: sized.heads,
            contextLength: sized.contextLength, batchSize: batchSize, precision: precision, threads: threads,
            steps: steps, secondsPerStep: seconds, secondsPerStepMedian: perStep[perStep.count / 2].wall,
            cpuSecondsPerStep: perStep[0].cpu,
            tokensPerSecond: Double(batchSize * sized.contextLength) / seconds, flopsPerStep: flops,
            gflops: flops / seconds * 1e-9)
    }

    /// CPU time of the whole process so far (every thread).
    static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    /// `measure` for every size, at float64 on one thread (the figures of earlier versions).
    public static func run(sizes: [TinyLMConfiguration] = standardSizes, batchSize: Int = 32, steps: Int = 10,
                           seed: UInt64 = 0) throws -> [TinyLMBenchmarkCase]
    {
        try sizes.map { try measure($0, precision: .float64, threads: 1, batchSize: batchSize, steps: steps, seed: seed) }
    }
}
