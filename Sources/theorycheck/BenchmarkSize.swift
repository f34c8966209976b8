import LinearAlgebra
import RewardDynamics
import Tasks

/// One problem size of `theorycheck bench`: vocabulary V, hidden width d, training pairs n, response
/// length L. The instance is `RandomInstance` at that size (8 evaluation pairs besides the n training pairs).
struct BenchmarkSize: Codable, Sendable, Equatable {
    let name: String
    let vocabularySize: Int
    let hiddenWidth: Int
    let trainPairs: Int
    let responseLength: Int

    /// Runs in milliseconds; what the CLI test uses.
    static let small = BenchmarkSize(name: "small", vocabularySize: 512, hiddenWidth: 64, trainPairs: 64,
                                     responseLength: 4)
    /// Fractions of a second per step.
    static let medium = BenchmarkSize(name: "medium", vocabularySize: 8192, hiddenWidth: 256, trainPairs: 128,
                                      responseLength: 8)
    /// A real vocabulary: logits are 4224 x 32768 doubles (1.1 GB), seconds per step.
    static let large = BenchmarkSize(name: "large", vocabularySize: 32768, hiddenWidth: 512, trainPairs: 256,
                                     responseLength: 8)

    static let all = [small, medium, large]

    /// The random instance of this size for `seed`.
    func instance(seed: UInt64) throws -> Instance {
        var generator = SeededGenerator(seed: seed)
        let spec = RandomInstance(vocabularySize: vocabularySize, hiddenWidth: hiddenWidth, trainPairs: trainPairs,
                                  responseLength: responseLength)
        return try spec.make(using: &generator)
    }
}

/// The matrix dimensions one simulator step works on, read off the layout of an instance.
struct BenchmarkShape: Sendable {
    /// V.
    let vocabularySize: Int
    /// d.
    let hiddenWidth: Int
    /// All contexts (training and evaluation sequences), the rows of the logits.
    let contexts: Int
    /// Contexts of sequences in a training pair, the rows of the gradient G.
    let trainContexts: Int
    /// All sequences.
    let sequences: Int
    /// Sequences in a training pair.
    let trainSequences: Int

    init(instance: Instance, layout: SequenceLayout) {
        vocabularySize = instance.vocabularySize
        hiddenWidth = instance.hiddenWidth
        contexts = layout.contextCount
        trainContexts = layout.trainContextRows.count
        sequences = layout.sequenceCount
        trainSequences = layout.trainSequences.count
    }
}
