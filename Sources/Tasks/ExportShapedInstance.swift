import LinearAlgebra
import RewardDynamics

/// A random instance with the shape of a `scripts/export-hf` export of a real model, for measuring the
/// analysis at scale (`theorycheck bench-analysis`) without a model: V and d of the model, a training set
/// and named evaluation sets of pairs with responses of about `responseLength` tokens, sequence ids
/// `<set>/<row>/chosen` and `<set>/<row>/rejected`, and every value rounded to float32 as an export's.
///
/// Draws (all from one seeded generator, so the same seed gives the same instance): W entries
/// N(0, logitScale^2) and hidden states N(0, 1/d) per entry (|h| about 1, so logits have standard
/// deviation about logitScale, as a trained model's), plus `preferenceStrength` times a fixed unit
/// direction on chosen last positions (so that training differences carry a shared preference
/// direction, as real ones do), response lengths uniform in responseLength +- lengthSpread. Training
/// tokens are uniform over the first `responseVocabulary` ids; an evaluation token is drawn from them
/// with probability `evaluationOverlap`, otherwise from the next `responseVocabulary` ids, so evaluation
/// pairs spread over the token-novelty bins.
///
/// Mathematical properties: deterministic in the seed; every value is a float32 value; ids never collide.
public struct ExportShapedInstance: Sendable {
    public var vocabularySize: Int
    public var hiddenWidth: Int
    public var trainPairs: Int
    public var evaluationSets: [(name: String, pairs: Int)]
    public var responseLength: Int
    public var lengthSpread: Int
    public var responseVocabulary: Int
    public var evaluationOverlap: Double
    public var preferenceStrength: Double
    public var logitScale: Double
    public var beta: Double

    public init(vocabularySize: Int, hiddenWidth: Int, trainPairs: Int, evaluationSets: [(name: String, pairs: Int)],
                responseLength: Int, lengthSpread: Int = 4, responseVocabulary: Int = 2000,
                evaluationOverlap: Double = 0.6, preferenceStrength: Double = 0.5, logitScale: Double = 3,
                beta: Double = 0.1)
    {
        precondition(responseLength - lengthSpread >= 1, "responses need at least one token")
        precondition(2 * responseVocabulary <= vocabularySize, "2 x responseVocabulary must fit in V")
        self.vocabularySize = vocabularySize
        self.hiddenWidth = hiddenWidth
        self.trainPairs = trainPairs
        self.evaluationSets = evaluationSets
        self.responseLength = responseLength
        self.lengthSpread = lengthSpread
        self.responseVocabulary = responseVocabulary
        self.evaluationOverlap = evaluationOverlap
        self.preferenceStrength = preferenceStrength
        self.logitScale = logitScale
        self.beta = beta
    }

    public func make(using generator: inout some RandomNumberGenerator) throws -> Instance {
        let width = hiddenWidth
        func float32(_ values: [Double]) -> [Double] { values.map { Double(Float($0)) } }
        let direction = GaussianSampling.unitVector(count: width, using: &generator)
        var sequences: [String: TokenSequence] = [:]
        func makePairs(set: String, count: Int, evaluation: Bool) -> [PreferencePair] {
            (1...max(1, count)).prefix(count).map { row in
                for side in ["chosen", "rejected"] {
                    let length = Int.random(in: (responseLength - lengthSpread)...(responseLength + lengthSpread),
                                            using: &generator)
                    let tokens = (0..<length).map { _ -> Int in
                        let seen = !evaluation || Double.random(in: 0..<1, using: &generator) < evaluationOverlap
                        return Int.random(in: 0..<responseVocabulary, using: &generator) + (seen ? 0 : responseVocabulary)
                    }
                    var hidden = GaussianSampling.vector(count: (length + 1) * width,
                                                         scale: 1 / Double(width).squareRoot(), using: &generator)
                    if side == "chosen" {
                        for j in 0..<width { hidden[length * width + j] += preferenceStrength * direction[j] }
                    }
                    sequences["\(set)/\(row)/\(side)"] = TokenSequence(
                        tokens: tokens, hidden: Matrix(rows: length + 1, columns: width, elements: float32(hidden)))
                }
                return PreferencePair(chosen: "\(set)/\(row)/chosen", rejected: "\(set)/\(row)/rejected")
            }
        }
        let train = makePairs(set: "train", count: trainPairs, evaluation: false)
        let sets = evaluationSets.map { EvaluationSet(name: $0.name, pairs: makePairs(set: $0.name, count: $0.pairs, evaluation: true)) }
        let unembedding = GaussianSampling.matrix(rows: vocabularySize, columns: width,
                                                  scale: logitScale, using: &generator)
        return try Instance(beta: beta, unembedding: Matrix(rows: vocabularySize, columns: width,
                                                            elements: float32(unembedding.elements)),
                            sequences: sequences, train: train, evaluationSets: sets)
    }
}
