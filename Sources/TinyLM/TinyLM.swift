import Autodiff
import LinearAlgebra

/// A small causal transformer language model (GPT-2 layout, pre-layer-norm), trained for real on the tape.
///
///     x_0 = E[s_t] + P[t]                                        token + position embeddings
///     x   = x + Attention(LN_1(x))                               causal, multi-head, per block
///     x   = x + MLP(LN_2(x)),  MLP(z) = GELU(z W_1 + b_1) W_2 + b_2
///     h_c = LN_f(x)                                              the hidden state of the theory
///     p_c = softmax(W h_c)                                       W: V x d, untied from E, no bias
///
/// The unembedding W is its own parameter (`TinyLMParameterName.unembedding`), so the IM-RM's read-out
/// under Assumption 1 is exactly W and p_c = softmax(W h_c) as in docs/theory.md §1.
///
/// A value type: copying a model copies its parameters, so `let reference = model` is pi_ref, frozen.
public struct TinyLM: Sendable {
    public let configuration: TinyLMConfiguration
    public var parameters: ParameterSet
    /// Threads each forward and backward pass may use (`Tape.threads`): the attention blocks, the
    /// row-wise kernels and the two gemms of each product's pullback are spread over them. Not part of the
    /// configuration because results do not depend on it, bit for bit; 1 (the default) when the caller
    /// runs independent models on the other cores instead.
    public var threads = 1

    /// A model with seeded Gaussian initialization: weights and embeddings N(0, s^2) with s the
    /// configuration's `initialScale`, the two residual output projections of each block scaled by
    /// 1/sqrt(2 layers) (GPT-2's rule, so the residual stream's variance does not grow with depth),
    /// biases 0, layer-norm gains 1. Same seed, same parameters bit for bit.
    public init(configuration: TinyLMConfiguration, seed: UInt64) throws {
        try configuration.validate()
        self.configuration = configuration
        var generator = SeededGenerator(seed: seed)
        let d = configuration.width
        let scale = configuration.initialScale
        let residualScale = scale / (2 * Double(configuration.layers)).squareRoot()
        func gaussian(_ rows: Int, _ columns: Int, _ s: Double) -> Matrix {
            GaussianSampling.matrix(rows: rows, columns: columns, scale: s, using: &generator)
        }
        var set = ParameterSet()
        set.append(TinyLMParameterName.tokenEmbedding, gaussian(configuration.vocabularySize, d, scale))  // V x d
        set.append(TinyLMParameterName.positionEmbedding, gaussian(configuration.contextLength, d, scale))  // T_max x d
        for layer in 0..<configuration.layers {
            let names = TinyLMParameterName.Block(layer)
            set.append(names.attentionNormGain, Matrix(rows: 1, columns: d, repeating: 1))  // 1 x d
            set.append(names.attentionNormBias, Matrix(rows: 1, columns: d))  // 1 x d
            set.append(names.queryKeyValueWeight, gaussian(d, 3 * d, scale))  // d x 3d, [W_q | W_k | W_v]
            set.append(names.queryKeyValueBias, Matrix(rows: 1, columns: 3 * d))  // 1 x 3d
            set.append(names.attentionOutputWeight, gaussian(d, d, residualScale))  // d x d
            set.append(names.attentionOutputBias, Matrix(rows: 1, columns: d))  // 1 x d
            set.append(names.mlpNormGain, Matrix(rows: 1, columns: d, repeating: 1))  // 1 x d
            set.append(names.mlpNormBias, Matrix(rows: 1, columns: d))  // 1 x d
            set.append(names.mlpInputWeight, gaussian(d, configuration.mlpWidth, scale))  // d x m
            set.append(names.mlpInputBias, Matrix(rows: 1, columns: configuration.mlpWidth))  // 1 x m
            set.append(names.mlpOutputWeight, gaussian(configuration.mlpWidth, d, residualScale))  // m x d
            set.append(names.mlpOutputBias, Matrix(rows: 1, columns: d))  // 1 x d
        }
        set.append(TinyLMParameterName.finalNormGain, Matrix(rows: 1, columns: d, repeating: 1))  // 1 x d
        set.append(TinyLMParameterName.finalNormBias, Matrix(rows: 1, columns: d))  // 1 x d
        set.append(TinyLMParameterName.unembedding, gaussian(configuration.vocabularySize, d, scale))  // V x d
        parameters = set
    }
}

extension TinyLM {
    /// A fresh tape for one pass of this model: its configuration's precision, its thread count.
    public func makeTape() -> Tape {
        Tape(precision: configuration.precision, threads: threads)
    }
}

/// The names of a `TinyLM`'s parameters, as keys into its `ParameterSet`.
public enum TinyLMParameterName {
    public static let tokenEmbedding = "tokenEmbedding"
    public static let positionEmbedding = "positionEmbedding"
    public static let finalNormGain = "finalNorm.gain"
    public static let finalNormBias = "finalNorm.bias"
    /// W (V x d), the read-out of p_c = softmax(W h_c): the IM-RM's trainable part under Assumption 1.
    public static let unembedding = "unembedding"

    /// The parameter names of block `layer`.
    public struct Block: Sendable {
        public let attentionNormGain: String
        public let attentionNormBias: String
        public let queryKeyValueWeight: String
        public let queryKeyValueBias: String
        public let attentionOutputWeight: String
        public let attentionOutputBias: String
        public let mlpNormGain: String
        public let mlpNormBias: String
        public let mlpInputWeight: String
        public let mlpInputBias: String
        public let mlpOutputWeight: String
        public let mlpOutputBias: String

        public init(_ layer: Int) {
            let prefix = "block\(layer)."
            attentionNormGain = prefix + "attentionNorm.gain"
            attentionNormBias = prefix + "attentionNorm.bias"
            queryKeyValueWeight = prefix + "attention.queryKeyValue.weight"
            queryKeyValueBias = prefix + "attention.queryKeyValue.bias"
            attentionOutputWeight = prefix + "attention.output.weight"
            attentionOutputBias = prefix + "attention.output.bias"
            mlpNormGain = prefix + "mlpNorm.gain"
            mlpNormBias = prefix + "mlpNorm.bias"
            mlpInputWeight = prefix + "mlp.input.weight"
            mlpInputBias = prefix + "mlp.input.bias"
            mlpOutputWeight = prefix + "mlp.output.weight"
            mlpOutputBias = prefix + "mlp.output.bias"
        }
    }
}
