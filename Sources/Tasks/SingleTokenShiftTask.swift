import Foundation
import LinearAlgebra
import RewardDynamics

/// The built-in single-token token-level shift: the setting of Theorem 2 (docs/theory.md §4), where
/// every response is one answer token and both sides of a pair share the prompt's context
/// (Assumption 2), so the IM-RM has an exact closed form and the EX-RM's limit is the max-margin head.
///
/// Training pairs: chosen = an "agree" answer token ("yes", "sure", ...), rejected = a "disagree" one
/// ("no", "never", ...). Evaluation sets:
/// - `train`: the training pairs; `test`: new prompts, training answer tokens;
/// - `paraphrase`: training prompts, answer tokens never seen in training ("certainly" / "nope");
/// - `paraphrase_test`: new prompts, unseen answer tokens.
///
/// Representations (fixed, Assumption 1), from the same kind of meaning model as `TokenShiftTask`.
/// Every token t has a meaning mu_t and a lexical identity lambda_t (unit vectors in R^d); prompt x has
/// P_x = sqrt(promptSharing) * c + sqrt(1 - promptSharing) * g_x, with c a direction all prompts share
/// (hidden states of real models are far from isotropic) and g_x its own. For the pair (x, a, b):
///
///   hidden[0] = promptWeight * P_x                                          (shared by both sides)
///   hidden[1] = promptWeight * P_x + mu_t + lexicalWeight * lambda_t + contextNoise * eps_{x,t},
///
/// with eps_{x,t} a fresh unit vector per sequence (how this prompt colours this answer). An agree
/// training answer means normalize(sigma_+ + 0.3 g) for the stance direction sigma_+ and a random g
/// (disagree likewise with sigma_-); an unseen answer of a stance means
/// alignment * sigma + sqrt(1 - alignment^2) * (a fresh direction orthogonal to sigma), and has a new
/// lexical identity. So an EX-RM difference vector z = hidden[1](x, a) - hidden[1](x, b) of an unseen
/// pair shares its stance component with the training differences in proportion to `alignment`, while
/// an IM-RM sees tokens whose unembedding rows no training step ever touches.
///
/// The theory's prediction: IM-RM accuracy on `paraphrase` and `paraphrase_test` is exactly 0.5 at
/// every step; EX-RM accuracy there tends to the fraction of pairs with <u*, zbar> > 0, which is near 1
/// for high `alignment` and near 0.5 for `alignment` = 0.
@dynamicMemberLookup
public struct SingleTokenShiftTask: Codable, Sendable, Equatable {
    /// The settings both built-in tasks share: size, seed, alignment, weights, beta.
    public var shared = MeaningModelSettings()
    /// Size of the per-sequence perturbation eps_{x,t}; it makes every difference vector distinct.
    public var contextNoise = 0.3
    /// Expected cosine between two prompts' representations: the shared part that lets an IM-RM carry what
    /// it learnt about a training token to new prompts (0: unrelated prompts).
    public var promptSharing = 0.5

    public init() {}

    /// `task.seed`, `task.alignment`, ...: the shared settings read and written as the task's own.
    public subscript<Value>(dynamicMember keyPath: WritableKeyPath<MeaningModelSettings, Value>) -> Value {
        get { shared[keyPath: keyPath] }
        set { shared[keyPath: keyPath] = newValue }
    }

    private enum OwnKeys: String, CodingKey {
        case contextNoise, promptSharing
    }

    /// The shared settings and the task's own, in one flat object.
    public func encode(to encoder: Encoder) throws {
        try shared.encode(to: encoder)
        var container = encoder.container(keyedBy: OwnKeys.self)
        try container.encode(contextNoise, forKey: .contextNoise)
        try container.encode(promptSharing, forKey: .promptSharing)
    }

    public init(from decoder: Decoder) throws {
        shared = try MeaningModelSettings(from: decoder)
        let container = try decoder.container(keyedBy: OwnKeys.self)
        contextNoise = try container.decode(type(of: contextNoise).self, forKey: .contextNoise)
        promptSharing = try container.decode(type(of: promptSharing).self, forKey: .promptSharing)
    }

    /// The default, documented above.
    public static let standard = SingleTokenShiftTask()

    /// Tokens the task itself uses: training and unseen answers of both stances.
    public var tokensUsed: Int { 4 * shared.answersPerStance }

    /// The training answer tokens (agree first, then disagree): ids 0 ..< 2 * answersPerStance.
    public var trainAnswerTokens: [Int] { Array(0..<(2 * shared.answersPerStance)) }

    /// The unseen answer tokens: ids 2 * answersPerStance ..< 4 * answersPerStance.
    public var unseenAnswerTokens: [Int] { Array((2 * shared.answersPerStance)..<(4 * shared.answersPerStance)) }

    /// Checks every setting, with a message that says which one and why.
    public func validate() throws {
        func fail(_ field: String, _ problem: String) -> InstanceValidationError {
            InstanceValidationError(field: field, problem: problem)
        }
        guard shared.hiddenWidth >= 4 else { throw fail("hidden width", "must be at least 4, got \(shared.hiddenWidth)") }
        guard shared.trainPrompts >= 1, shared.testPrompts >= 1 else {
            throw fail("prompts", "need at least one train and one test prompt")
        }
        guard shared.answersPerStance >= 1 else { throw fail("answers per stance", "must be at least 1") }
        guard (0...1).contains(shared.alignment) else { throw fail("alignment", "must lie in [0, 1], got \(shared.alignment)") }
        guard shared.lexicalWeight >= 0, shared.lexicalWeight.isFinite else { throw fail("lexical weight", "must be >= 0") }
        guard contextNoise >= 0, contextNoise.isFinite else { throw fail("context noise", "must be >= 0") }
        guard shared.promptWeight.isFinite else { throw fail("prompt weight", "must be finite") }
        guard (0...1).contains(promptSharing) else {
            throw fail("prompt sharing", "must lie in [0, 1], got \(promptSharing)")
        }
        guard shared.beta > 0, shared.beta.isFinite else { throw fail("beta", "must be > 0, got \(shared.beta)") }
        guard shared.vocabularySize >= tokensUsed else {
            throw fail("vocabulary size", "must be at least \(tokensUsed) (the task's own tokens), got \(shared.vocabularySize)")
        }
    }

    public func make() throws -> Instance {
        try validate()
        let d = shared.hiddenWidth
        var space = MeaningSpace(dimension: d, seed: shared.seed)

        let k = shared.answersPerStance
        let agreeAnswers = Array(0..<k)
        let disagreeAnswers = Array(k..<(2 * k))
        let unseenAgree = Array((2 * k)..<(3 * k))
        let unseenDisagree = Array((3 * k)..<(4 * k))

        let agree = space.unit()
        let disagree = space.unit()
        var meaning = [[Double]](repeating: [], count: tokensUsed)
        var identity = [[Double]](repeating: [], count: tokensUsed)
        for token in 0..<tokensUsed { identity[token] = space.unit() }
        for token in agreeAnswers { meaning[token] = space.normalized(space.combination([(1, agree), (0.3, space.unit())])) }
        for token in disagreeAnswers { meaning[token] = space.normalized(space.combination([(1, disagree), (0.3, space.unit())])) }
        for token in unseenAgree { meaning[token] = space.aligned(cosine: shared.alignment, with: agree) }
        for token in unseenDisagree { meaning[token] = space.aligned(cosine: shared.alignment, with: disagree) }
        let sharedPrompt = space.unit()
        let prompts = (0..<(shared.trainPrompts + shared.testPrompts)).map { _ in
            space.combination([(promptSharing.squareRoot(), sharedPrompt), ((1 - promptSharing).squareRoot(), space.unit())])
        }

        var sequences: [String: TokenSequence] = [:]
        func sequence(prompt: Int, token: Int) -> TokenSequence {
            let context = space.combination([(shared.promptWeight, prompts[prompt])])
            let whole = space.combination([(shared.promptWeight, prompts[prompt]), (1, meaning[token]),
                                     (shared.lexicalWeight, identity[token]), (contextNoise, space.unit())])
            return TokenSequence(tokens: [token], hidden: Matrix(rowVectors: [context, whole]))
        }
        func addPairs(set: String, prompts promptRange: Range<Int>, chosenAnswers: [Int], rejectedAnswers: [Int])
            -> [PreferencePair]
        {
            promptRange.map { prompt in
                let chosen = chosenAnswers.randomElement(using: &space.generator)!
                let rejected = rejectedAnswers.randomElement(using: &space.generator)!
                let name = "\(set)/p\(prompt)"
                sequences[name + "/chosen"] = sequence(prompt: prompt, token: chosen)
                sequences[name + "/rejected"] = sequence(prompt: prompt, token: rejected)
                return PreferencePair(chosen: name + "/chosen", rejected: name + "/rejected")
            }
        }
        let trainRange = 0..<shared.trainPrompts
        let testRange = shared.trainPrompts..<(shared.trainPrompts + shared.testPrompts)
        let train = addPairs(set: "train", prompts: trainRange, chosenAnswers: agreeAnswers,
                             rejectedAnswers: disagreeAnswers)
        let test = addPairs(set: "test", prompts: testRange, chosenAnswers: agreeAnswers,
                            rejectedAnswers: disagreeAnswers)
        let paraphrase = addPairs(set: "paraphrase", prompts: trainRange, chosenAnswers: unseenAgree,
                                  rejectedAnswers: unseenDisagree)
        let paraphraseTest = addPairs(set: "paraphrase_test", prompts: testRange, chosenAnswers: unseenAgree,
                                      rejectedAnswers: unseenDisagree)

        let unembedding = GaussianSampling.matrix(rows: shared.vocabularySize, columns: d,
                                                  scale: shared.unembeddingScale / Double(d).squareRoot(), using: &space.generator)
        return try Instance(
            beta: shared.beta, unembedding: unembedding, sequences: sequences, train: train,
            evaluationSets: [
                EvaluationSet(name: "train", pairs: train), EvaluationSet(name: "test", pairs: test),
                EvaluationSet(name: "paraphrase", pairs: paraphrase),
                EvaluationSet(name: "paraphrase_test", pairs: paraphraseTest),
            ])
    }
}
