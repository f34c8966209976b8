import LinearAlgebra
import TheorycheckCore

/// The backbone every TinyLM experiment starts from, declared once: its shape (width, layers, heads,
/// context), the precision of its passes and how it is pretrained. Persona, the tiny-LM dynamics check,
/// the mechanism split and the Hamiltonian-cycle experiment each hold one; the vocabulary comes from the
/// data, so `modelConfiguration(vocabularySize:)` turns the recipe into a `TinyLMConfiguration`.
///
/// The configurations that hold a recipe write its fields flat beside their own (`encodeFlat`), so
/// their JSON reads as it did before the recipe existed.
public struct BackboneRecipe: Codable, Equatable, Sendable {
    /// d, the width of the residual stream and of h_c, the hidden state the reward models read.
    public var width: Int
    /// Transformer blocks.
    public var layers: Int
    /// Attention heads per block; must divide `width`.
    public var heads: Int
    /// The longest sequence (tokens, including <bos>) the position embedding covers.
    public var contextLength: Int
    /// How the backbone is pretrained before any reward model trains on it.
    public var pretraining: PretrainingConfiguration
    /// The precision of every forward and backward pass (`TinyLMConfiguration.precision`).
    public var precision: Precision

    public init(width: Int, layers: Int, heads: Int, contextLength: Int,
                pretraining: PretrainingConfiguration = PretrainingConfiguration(), precision: Precision = .float64)
    {
        self.width = width
        self.layers = layers
        self.heads = heads
        self.contextLength = contextLength
        self.pretraining = pretraining
        self.precision = precision
    }

    /// Persona's backbone: d = 64, 2 layers, 4 heads, context 32 (`TinyLMConfiguration.small`), 600 steps
    /// of batch-32 pretraining (close to the grammar's entropy in a few seconds of release build).
    public static let persona = BackboneRecipe(width: 64, layers: 2, heads: 4, contextLength: 32)

    /// The tiny-LM dynamics and mechanism backbone: d = 32, 2 layers, 4 heads, context 32, small enough for
    /// per-sequence gradients at every step, deep enough that the representations move; 300 steps of batch
    /// 16 pretraining learn the synonym structure in seconds.
    public static let dynamics = BackboneRecipe(width: 32, layers: 2, heads: 4, contextLength: 32,
                                                pretraining: PretrainingConfiguration(steps: 300, batchSize: 16))

    /// Debug-build test size: d = 8, 1 layer, 2 heads, context 32, 5 pretraining steps on a small corpus.
    public static let quick = BackboneRecipe(
        width: 8, layers: 1, heads: 2, contextLength: 32,
        pretraining: PretrainingConfiguration(steps: 5, batchSize: 4, trainingDocuments: 50, heldOutDocuments: 10))

    /// The backbone's configuration for a vocabulary of `vocabularySize` tokens.
    public func modelConfiguration(vocabularySize: Int) -> TinyLMConfiguration {
        TinyLMConfiguration(vocabularySize: vocabularySize, width: width, layers: layers, heads: heads,
                            contextLength: contextLength, precision: precision)
    }

    /// Throws the first problem with the shape or the pretraining (the vocabulary and the context's fit
    /// to the data are checked once the data exist: `checkContext`).
    public func validate() throws {
        try modelConfiguration(vocabularySize: 2).validate()
        try pretraining.validate()
    }

    /// Throws unless the context holds `longestSequence` tokens; `what` names the sequence ("the longest
    /// Persona sequence (25 tokens: ...)").
    public func checkContext(holds longestSequence: Int, what: String) throws {
        if contextLength < longestSequence {
            throw ConfigurationError(
                "context length \(contextLength) is shorter than \(what); use a context of at least \(longestSequence)")
        }
    }

    /// Pretrains the recipe's backbone on `grammar`'s corpus: corpus, batch order and initialization from
    /// `seed` (in place of `pretraining.seed`), steps on `threads` threads, with a copy of the model after
    /// each of `snapshotsAt` steps.
    public func pretrain(on grammar: Grammar, seed: UInt64, threads: Int = 1, snapshotsAt snapshotSteps: [Int] = [])
        throws -> (result: PretrainingResult, vocabularySize: Int)
    {
        var configuration = pretraining
        configuration.seed = seed
        let corpus = try PretrainingCorpus(grammar: grammar, configuration: configuration)
        var initial = try TinyLM(configuration: modelConfiguration(vocabularySize: corpus.tokenizer.count), seed: seed)
        initial.threads = threads
        let result = try Pretraining.run(model: initial, corpus: corpus, configuration: configuration,
                                         snapshotsAt: snapshotSteps)
        return (result, corpus.tokenizer.count)
    }
}

extension BackboneRecipe {
    /// The recipe's fields, as the configurations that hold a recipe write them (flat, beside their own).
    public enum FlatKey: String, CodingKey, CaseIterable, Sendable {
        case width, layers, heads, contextLength, pretraining, precision
    }

    /// Writes the recipe's fields except `omitting` into `encoder`'s keyed container, flat, beside the
    /// holder's own fields (a holder leaves out what it does not use or derives from elsewhere).
    public func encodeFlat(to encoder: Encoder, omitting: Set<FlatKey> = []) throws {
        var container = encoder.container(keyedBy: FlatKey.self)
        for key in FlatKey.allCases where !omitting.contains(key) {
            switch key {
            case .width: try container.encode(width, forKey: key)
            case .layers: try container.encode(layers, forKey: key)
            case .heads: try container.encode(heads, forKey: key)
            case .contextLength: try container.encode(contextLength, forKey: key)
            case .pretraining: try container.encode(pretraining, forKey: key)
            case .precision: try container.encode(precision, forKey: key)
            }
        }
    }

    /// Reads what `encodeFlat` wrote; a field that is absent keeps `defaults`' value.
    public init(flatFrom decoder: Decoder, defaults: BackboneRecipe) throws {
        let container = try decoder.container(keyedBy: FlatKey.self)
        self = defaults
        width = try container.decodeIfPresent(Int.self, forKey: .width) ?? width
        layers = try container.decodeIfPresent(Int.self, forKey: .layers) ?? layers
        heads = try container.decodeIfPresent(Int.self, forKey: .heads) ?? heads
        contextLength = try container.decodeIfPresent(Int.self, forKey: .contextLength) ?? contextLength
        pretraining = try container.decodeIfPresent(PretrainingConfiguration.self, forKey: .pretraining) ?? pretraining
        precision = try container.decodeIfPresent(Precision.self, forKey: .precision) ?? precision
    }
}
