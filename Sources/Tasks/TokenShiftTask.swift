import Foundation
import LinearAlgebra
import RewardDynamics

/// The built-in controlled token-level shift, modelled on the paper's Persona experiment (docs/theory.md
/// section 6), with fixed representations drawn from a documented *meaning model*.
///
/// Responses are a template phrase of `templateLength` tokens and one answer token. Training pairs:
/// chosen = one of two "agree" templates + an agree answer ("yes", "sure", ...); rejected = one of two
/// "disagree" templates + a disagree answer ("no", "never", ...). Evaluation sets:
/// - `train`: the training pairs themselves; `test`: new prompts, training templates and answer tokens;
/// - `paraphrase`: training prompts, a new template per stance and answer tokens never seen in training
///   ("My response would be certainly" / "I lean toward nope");
/// - `paraphrase_test`: new prompts with the paraphrased responses.
///
/// The meaning model. Every token t has a *meaning* mu_t and a *lexical identity* lambda_t (both unit
/// vectors in R^d). The representation of a context that has read prompt x and response tokens
/// t_1..t_k is
///
///   h = promptWeight * P_x + sum_{j <= k} memoryDecay^(k - j) mu_{t_j} + lexicalWeight * lambda_{t_k},
///
/// (the last term only for k >= 1): what has been read so far, by meaning, plus which token was just read.
/// Meanings: an agree answer means sigma_+, a disagree answer sigma_-; a template token means a shared
/// "an answer follows" direction tau, tinted by its stance (templateStance * sigma_s) and by its own
/// phrase. A paraphrase token's meaning is alignment * (its original's meaning) + sqrt(1 - alignment^2) *
/// (a fresh direction orthogonal to it), so `alignment` is the cosine between them, while its lexical
/// identity is new. `overlap` is the fraction of paraphrase answer tokens that are the training answer
/// tokens themselves (shared token identity).
///
/// The theory's prediction on `paraphrase`: EX-RM accuracy follows `alignment`; IM-RM accuracy follows
/// `overlap`, and with no overlap its softmax competition can push it below chance.
@dynamicMemberLookup
public struct TokenShiftTask: Codable, Sendable, Equatable {
    /// The settings both built-in tasks share: size, seed, alignment, weights, beta.
    public var shared = MeaningModelSettings()
    /// Preference pairs per prompt in every set.
    public var pairsPerPrompt = 1
    /// Tokens per template phrase ("In my view the answer is" is longer; three keeps L = 4).
    public var templateLength = 3
    /// Fraction of paraphrase answer tokens that are training answer tokens (0: all unseen).
    public var overlap = 0.0
    /// How much a template phrase already carries the stance of the answer it introduces.
    public var templateStance = 0.5
    /// How fast earlier meanings fade as more tokens are read.
    public var memoryDecay = 0.7

    public init() {}

    /// `task.seed`, `task.alignment`, ...: the shared settings read and written as the task's own.
    public subscript<Value>(dynamicMember keyPath: WritableKeyPath<MeaningModelSettings, Value>) -> Value {
        get { shared[keyPath: keyPath] }
        set { shared[keyPath: keyPath] = newValue }
    }

    private enum OwnKeys: String, CodingKey {
        case pairsPerPrompt, templateLength, overlap, templateStance, memoryDecay
    }

    /// The shared settings and the task's own, in one flat object.
    public func encode(to encoder: Encoder) throws {
        try shared.encode(to: encoder)
        var container = encoder.container(keyedBy: OwnKeys.self)
        try container.encode(pairsPerPrompt, forKey: .pairsPerPrompt)
        try container.encode(templateLength, forKey: .templateLength)
        try container.encode(overlap, forKey: .overlap)
        try container.encode(templateStance, forKey: .templateStance)
        try container.encode(memoryDecay, forKey: .memoryDecay)
    }

    public init(from decoder: Decoder) throws {
        shared = try MeaningModelSettings(from: decoder)
        let container = try decoder.container(keyedBy: OwnKeys.self)
        pairsPerPrompt = try container.decode(type(of: pairsPerPrompt).self, forKey: .pairsPerPrompt)
        templateLength = try container.decode(type(of: templateLength).self, forKey: .templateLength)
        overlap = try container.decode(type(of: overlap).self, forKey: .overlap)
        templateStance = try container.decode(type(of: templateStance).self, forKey: .templateStance)
        memoryDecay = try container.decode(type(of: memoryDecay).self, forKey: .memoryDecay)
    }

    /// The default, documented above.
    public static let standard = TokenShiftTask()

    /// Checks every setting, with a message that says which one and why.
    public func validate() throws {
        func fail(_ field: String, _ problem: String) -> InstanceValidationError {
            InstanceValidationError(field: field, problem: problem)
        }
        guard shared.hiddenWidth >= 4 else { throw fail("hidden width", "must be at least 4, got \(shared.hiddenWidth)") }
        guard shared.trainPrompts >= 1, shared.testPrompts >= 1 else { throw fail("prompts", "need at least one train and one test prompt") }
        guard pairsPerPrompt >= 1 else { throw fail("pairs per prompt", "must be at least 1") }
        guard templateLength >= 1 else { throw fail("template length", "must be at least 1") }
        guard shared.answersPerStance >= 1 else { throw fail("answers per stance", "must be at least 1") }
        guard (0...1).contains(shared.alignment) else { throw fail("alignment", "must lie in [0, 1], got \(shared.alignment)") }
        guard (0...1).contains(overlap) else { throw fail("overlap", "must lie in [0, 1], got \(overlap)") }
        guard shared.beta > 0, shared.beta.isFinite else { throw fail("beta", "must be > 0, got \(shared.beta)") }
        guard (0..<1).contains(memoryDecay) else { throw fail("memory decay", "must lie in [0, 1)") }
        guard shared.vocabularySize >= tokensUsed else {
            throw fail("vocabulary size", "must be at least \(tokensUsed) (the task's own tokens), got \(shared.vocabularySize)")
        }
    }

    /// Tokens the task itself uses: 6 template phrases and 4 answer sets.
    public var tokensUsed: Int { 6 * templateLength + 4 * shared.answersPerStance }

    /// How many paraphrase answer tokens per stance are training tokens.
    public var sharedAnswerCount: Int { Int((overlap * Double(shared.answersPerStance)).rounded()) }

    public func make() throws -> Instance {
        try validate()
        let d = shared.hiddenWidth
        var space = MeaningSpace(dimension: d, seed: shared.seed)

        // Token ids, in blocks.
        var next = 0
        func block(_ count: Int) -> [Int] {
            defer { next += count }
            return Array(next..<(next + count))
        }
        let agreeTemplates = [block(templateLength), block(templateLength)]
        let disagreeTemplates = [block(templateLength), block(templateLength)]
        let paraphraseAgreeTemplate = block(templateLength)
        let paraphraseDisagreeTemplate = block(templateLength)
        let agreeAnswers = block(shared.answersPerStance)
        let disagreeAnswers = block(shared.answersPerStance)
        let newAgreeAnswers = block(shared.answersPerStance)
        let newDisagreeAnswers = block(shared.answersPerStance)
        let reused = sharedAnswerCount
        let paraphraseAgreeAnswers = Array(agreeAnswers.prefix(reused) + newAgreeAnswers.prefix(shared.answersPerStance - reused))
        let paraphraseDisagreeAnswers = Array(
            disagreeAnswers.prefix(reused) + newDisagreeAnswers.prefix(shared.answersPerStance - reused))

        // Meanings and lexical identities.
        let agree = space.unit()
        let disagree = space.unit()
        let answerFollows = space.unit()
        var meaning = [[Double]](repeating: [], count: shared.vocabularySize)
        var identity = [[Double]](repeating: [], count: shared.vocabularySize)
        for token in 0..<shared.vocabularySize { identity[token] = space.unit() }
        for (stance, templates) in [(agree, agreeTemplates), (disagree, disagreeTemplates)] {
            for template in templates {
                for token in template {
                    meaning[token] = space.normalized(space.combination([(1, answerFollows), (templateStance, stance), (0.5, space.unit())]))
                }
            }
        }
        for (stance, answers) in [(agree, agreeAnswers), (disagree, disagreeAnswers)] {
            for token in answers { meaning[token] = space.normalized(space.combination([(1, stance), (0.3, space.unit())])) }
        }
        for (paraphraseTemplate, originals) in [(paraphraseAgreeTemplate, agreeTemplates),
                                               (paraphraseDisagreeTemplate, disagreeTemplates)]
        {
            for (position, token) in paraphraseTemplate.enumerated() {
                let original = space.normalized(space.combination(originals.map { (1, meaning[$0[position]]) }))
                meaning[token] = space.aligned(cosine: shared.alignment, with: original)
            }
        }
        for (stance, newAnswers) in [(agree, newAgreeAnswers), (disagree, newDisagreeAnswers)] {
            for token in newAnswers { meaning[token] = space.aligned(cosine: shared.alignment, with: stance) }
        }
        let prompts = (0..<(shared.trainPrompts + shared.testPrompts)).map { _ in space.unit() }

        func representation(prompt: Int, tokens: [Int]) -> Matrix {
            var rows: [[Double]] = []
            var memory = [Double](repeating: 0, count: d)
            rows.append(space.combination([(shared.promptWeight, prompts[prompt])]))
            for token in tokens {
                memory = space.combination([(memoryDecay, memory), (1, meaning[token])])
                rows.append(space.combination([(shared.promptWeight, prompts[prompt]), (1, memory), (shared.lexicalWeight, identity[token])]))
            }
            return Matrix(rowVectors: rows)
        }

        var sequences: [String: TokenSequence] = [:]
        func addPairs(set: String, prompts promptRange: Range<Int>, chosenTemplates: [[Int]], chosenAnswers: [Int],
                      rejectedTemplates: [[Int]], rejectedAnswers: [Int]) -> [PreferencePair]
        {
            var pairs: [PreferencePair] = []
            for prompt in promptRange {
                for index in 0..<pairsPerPrompt {
                    let chosen = chosenTemplates.randomElement(using: &space.generator)!
                        + [chosenAnswers.randomElement(using: &space.generator)!]
                    let rejected = rejectedTemplates.randomElement(using: &space.generator)!
                        + [rejectedAnswers.randomElement(using: &space.generator)!]
                    let name = "\(set)/p\(prompt)/\(index)"
                    sequences[name + "/chosen"] = TokenSequence(
                        tokens: chosen, hidden: representation(prompt: prompt, tokens: chosen))
                    sequences[name + "/rejected"] = TokenSequence(
                        tokens: rejected, hidden: representation(prompt: prompt, tokens: rejected))
                    pairs.append(PreferencePair(chosen: name + "/chosen", rejected: name + "/rejected"))
                }
            }
            return pairs
        }
        let trainRange = 0..<shared.trainPrompts
        let testRange = shared.trainPrompts..<(shared.trainPrompts + shared.testPrompts)
        let train = addPairs(set: "train", prompts: trainRange, chosenTemplates: agreeTemplates, chosenAnswers: agreeAnswers,
                             rejectedTemplates: disagreeTemplates, rejectedAnswers: disagreeAnswers)
        let test = addPairs(set: "test", prompts: testRange, chosenTemplates: agreeTemplates, chosenAnswers: agreeAnswers,
                            rejectedTemplates: disagreeTemplates, rejectedAnswers: disagreeAnswers)
        let paraphrased = addPairs(
            set: "paraphrase", prompts: trainRange, chosenTemplates: [paraphraseAgreeTemplate],
            chosenAnswers: paraphraseAgreeAnswers, rejectedTemplates: [paraphraseDisagreeTemplate],
            rejectedAnswers: paraphraseDisagreeAnswers)
        let paraphrasedTest = addPairs(
            set: "paraphrase_test", prompts: testRange, chosenTemplates: [paraphraseAgreeTemplate],
            chosenAnswers: paraphraseAgreeAnswers, rejectedTemplates: [paraphraseDisagreeTemplate],
            rejectedAnswers: paraphraseDisagreeAnswers)

        let unembedding = GaussianSampling.matrix(rows: shared.vocabularySize, columns: d,
                                                  scale: shared.unembeddingScale / Double(d).squareRoot(), using: &space.generator)
        return try Instance(
            beta: shared.beta, unembedding: unembedding, sequences: sequences, train: train,
            evaluationSets: [
                EvaluationSet(name: "train", pairs: train), EvaluationSet(name: "test", pairs: test),
                EvaluationSet(name: "paraphrase", pairs: paraphrased),
                EvaluationSet(name: "paraphrase_test", pairs: paraphrasedTest),
            ])
    }
}
