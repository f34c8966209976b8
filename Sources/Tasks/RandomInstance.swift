import LinearAlgebra
import RewardDynamics

/// Random instances of a given size (V, d, n, L), for property tests and benchmarks.
///
/// Every training pair gets its own two sequences of L tokens drawn uniformly from the first
/// `responseVocabulary` tokens (default: all V), hidden states N(0, 1/d) per entry (unit expected norm),
/// and W = W_ref with N(0, scale^2 / d) entries. An evaluation set "eval" of `evaluationPairs` fresh pairs
/// is added. With `sharedPrompt`, L must be 1 and both sides of a pair share hidden[0] (Assumption 2).
public struct RandomInstance {
    public var vocabularySize: Int
    public var hiddenWidth: Int
    public var trainPairs: Int
    public var responseLength: Int
    public var evaluationPairs: Int
    public var beta: Double
    public var unembeddingScale: Double
    public var responseVocabulary: Int?
    public var sharedPrompt: Bool

    public init(vocabularySize: Int, hiddenWidth: Int, trainPairs: Int, responseLength: Int,
                evaluationPairs: Int = 8, beta: Double = 0.5, unembeddingScale: Double = 1,
                responseVocabulary: Int? = nil, sharedPrompt: Bool = false)
    {
        self.vocabularySize = vocabularySize
        self.hiddenWidth = hiddenWidth
        self.trainPairs = trainPairs
        self.responseLength = responseLength
        self.evaluationPairs = evaluationPairs
        self.beta = beta
        self.unembeddingScale = unembeddingScale
        self.responseVocabulary = responseVocabulary
        self.sharedPrompt = sharedPrompt
    }

    public func make(using generator: inout some RandomNumberGenerator) throws -> Instance {
        precondition(!sharedPrompt || responseLength == 1, "a shared prompt needs single-token responses")
        let width = hiddenWidth
        let hiddenScale = 1 / Double(width).squareRoot()
        let tokenRange = 0..<(responseVocabulary ?? vocabularySize)
        var sequences: [String: TokenSequence] = [:]
        func makePair(_ name: String) -> PreferencePair {
            let prompt = GaussianSampling.vector(count: width, scale: hiddenScale, using: &generator)
            func makeSequence() -> TokenSequence {
                let tokens = (0..<responseLength).map { _ in Int.random(in: tokenRange, using: &generator) }
                var hidden = GaussianSampling.matrix(rows: responseLength + 1, columns: width, scale: hiddenScale,
                                                     using: &generator)
                if sharedPrompt { hidden.setRow(0, to: prompt) }
                return TokenSequence(tokens: tokens, hidden: hidden)
            }
            let chosen = makeSequence()
            var rejected = makeSequence()
            if sharedPrompt {
                // Distinct tokens on the two sides, so that the pair carries a preference at all.
                while rejected.tokens == chosen.tokens { rejected = makeSequence() }
            }
            sequences["\(name)+"] = chosen
            sequences["\(name)-"] = rejected
            return PreferencePair(chosen: "\(name)+", rejected: "\(name)-")
        }
        let train = (0..<trainPairs).map { makePair("train\($0)") }
        let evaluation = (0..<evaluationPairs).map { makePair("eval\($0)") }
        let unembedding = GaussianSampling.matrix(rows: vocabularySize, columns: width,
                                                  scale: unembeddingScale / Double(width).squareRoot(),
                                                  using: &generator)
        return try Instance(beta: beta, unembedding: unembedding, sequences: sequences, train: train,
                            evaluationSets: [EvaluationSet(name: "eval", pairs: evaluation)])
    }
}
