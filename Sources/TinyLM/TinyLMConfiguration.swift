import LinearAlgebra
import TheorycheckCore

/// The size of a `TinyLM`: a value that can be printed, saved (Codable) and validated before any
/// parameter is allocated.
///
/// Presets name the two sizes the project uses; each default carries its reason.
public struct TinyLMConfiguration: Codable, Equatable, Sendable {
    /// V, the number of token ids. Set from the tokenizer; no default.
    public var vocabularySize: Int
    /// d, the width of the residual stream and of h_c, the hidden state the reward models read.
    public var width: Int
    /// Number of transformer blocks.
    public var layers: Int
    /// Attention heads per block; must divide `width`.
    public var heads: Int
    /// The longest sequence (in tokens, including <bos>) the position embedding covers.
    public var contextLength: Int
    /// Hidden width of each block's MLP.
    public var mlpWidth: Int
    /// Added to the variance in every layer norm; 1e-5 as in GPT-2, small next to unit-variance rows.
    public var layerNormEpsilon: Double
    /// Standard deviation of the Gaussian initialization of weight matrices and embeddings; 0.02 as in
    /// GPT-2, so the initial logits are near 0 and the initial loss near ln V.
    public var initialScale: Double
    /// The precision of the forward and backward passes (`Tape.precision`). float64 by default, the one
    /// the closed-form checks need; float32 is the paper's training precision and about twice as fast.
    /// Parameters and optimizer state stay float64 either way (a float32 pass rounds them on the way in).
    public var precision: Precision

    public init(vocabularySize: Int, width: Int, layers: Int, heads: Int, contextLength: Int,
                mlpWidth: Int? = nil, layerNormEpsilon: Double = 1e-5, initialScale: Double = 0.02,
                precision: Precision = .float64)
    {
        self.vocabularySize = vocabularySize
        self.width = width
        self.layers = layers
        self.heads = heads
        self.contextLength = contextLength
        // 4 d, the ratio of GPT-2 and of the original transformer.
        self.mlpWidth = mlpWidth ?? 4 * width
        self.layerNormEpsilon = layerNormEpsilon
        self.initialScale = initialScale
        self.precision = precision
    }

    /// d = 64, 2 layers, 4 heads, context 32: the persona pretraining size. Wide enough that synonym
    /// classes get their own directions, small enough that a batch-32 Adam step takes milliseconds;
    /// context 32 covers the longest grammar document (about 25 tokens).
    public static func small(vocabularySize: Int) -> TinyLMConfiguration {
        TinyLMConfiguration(vocabularySize: vocabularySize, width: 64, layers: 2, heads: 4, contextLength: 32)
    }

    /// d = 16, 1 layer, 2 heads, context 32: for tests run in debug builds, where every step must be cheap.
    public static func tiny(vocabularySize: Int) -> TinyLMConfiguration {
        TinyLMConfiguration(vocabularySize: vocabularySize, width: 16, layers: 1, heads: 2, contextLength: 32)
    }

    /// d / heads, the width of one attention head.
    public var headWidth: Int { width / heads }

    /// Throws the first problem found, as a sentence that says what to change.
    public func validate() throws {
        if vocabularySize < 2 {
            throw ConfigurationError("vocabularySize is \(vocabularySize); a language model needs at least 2 tokens")
        }
        if width < 1 { throw ConfigurationError("width is \(width); set it to a positive number such as 64") }
        if layers < 1 { throw ConfigurationError("layers is \(layers); use at least 1 transformer block") }
        if heads < 1 { throw ConfigurationError("heads is \(heads); use at least 1 attention head") }
        if width % heads != 0 {
            throw ConfigurationError(
                "heads (\(heads)) must divide width (\(width)); choose a width that is a multiple of the head count")
        }
        if contextLength < 2 {
            throw ConfigurationError(
                "contextLength is \(contextLength); it must be at least 2 (<bos> plus one token to predict)")
        }
        if mlpWidth < 1 { throw ConfigurationError("mlpWidth is \(mlpWidth); set it to a positive number such as 4 * width") }
        if !(layerNormEpsilon > 0 && layerNormEpsilon.isFinite) {
            throw ConfigurationError("layerNormEpsilon is \(layerNormEpsilon); it must be a small positive number such as 1e-5")
        }
        if !(initialScale > 0 && initialScale.isFinite) {
            throw ConfigurationError("initialScale is \(initialScale); it must be a positive number such as 0.02")
        }
    }

    /// Throws when a sequence of `length` tokens does not fit the context.
    public func checkFits(length: Int) throws {
        if length > contextLength {
            throw ConfigurationError(
                "a sequence of \(length) tokens does not fit contextLength \(contextLength); raise contextLength to at least \(length)")
        }
    }
}
