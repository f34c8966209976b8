import Foundation
import LinearAlgebra

/// The training step of a `TinyLM` timed at a given size: one Adam step on the mean next-token loss of a
/// full batch of random token sequences (forward, backward and update).
public struct TinyLMBenchmarkCase: Codable, Equatable, Sendable {
    public let vocabularySize: Int
    public let width: Int
    public let layers: Int
    public let heads: Int
    public let contextLength: Int
    public let batchSize: Int
    /// Timed steps (after one untimed warm-up step).
    public let steps: Int
    public let secondsPerStep: Double
    /// batch * context / secondsPerStep: tokens read (and predicted) per second of training.
    public let tokensPerSecond: Double

    enum CodingKeys: String, CodingKey {
        case vocabularySize
        case width
        case layers, heads
        case contextLength = "context"
        case batchSize = "batch"
        case steps
        case secondsPerStep = "seconds_per_step"
        case tokensPerSecond = "tokens_per_second"
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

    /// Times `steps` Adam steps per size on a batch of `batchSize` random full-context sequences
    /// (seeded), after one warm-up step. Wall-clock time: run it on an otherwise idle machine, with
    /// OPENBLAS_NUM_THREADS=1 (or `openblas_set_num_threads(1)`), which is faster at these sizes.
    public static func run(sizes: [TinyLMConfiguration] = standardSizes, batchSize: Int = 32, steps: Int = 10,
                           seed: UInt64 = 0) throws -> [TinyLMBenchmarkCase]
    {
        precondition(steps > 0 && batchSize > 0, "steps and batchSize must be positive")
        return try sizes.map { configuration in
            var model = try TinyLM(configuration: configuration, seed: seed)
            var generator = SeededGenerator(seed: seed &+ 1)
            let sequences = (0..<batchSize).map { _ in
                (0..<configuration.contextLength).map { _ in Int.random(in: 0..<configuration.vocabularySize, using: &generator) }
            }
            let batch = try TokenBatch(sequences)
            var adam = Adam()
            try model.trainNextToken(on: batch, optimizer: &adam)  // warm-up: allocations, BLAS start-up
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<steps { try model.trainNextToken(on: batch, optimizer: &adam) }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(steps)
            return TinyLMBenchmarkCase(
                vocabularySize: configuration.vocabularySize, width: configuration.width, layers: configuration.layers,
                heads: configuration.heads, contextLength: configuration.contextLength, batchSize: batchSize,
                steps: steps, secondsPerStep: seconds,
                tokensPerSecond: Double(batchSize * configuration.contextLength) / seconds)
        }
    }
}
