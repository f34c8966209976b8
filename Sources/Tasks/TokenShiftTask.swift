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
public struct TokenShiftTask: Codable, Sendable, Equatable {
    /// Seeds every random draw: prompts, meanings, identities, the unembedding, the pairs.
    public var seed: UInt64 = 0
    /// d: wide enough that prompts, meanings and identities are nearly orthogonal.
    public var hiddenWidth = 64
    /// V: a softmax over many more tokens than the task uses, as in a real language model.
    public var vocabularySize = 256
    /// Training statements; the paper's Persona split used 80, halved so that a run takes seconds.
    public var trainPrompts = 40
    /// Held-out statements (the paper used 40).
    public var testPrompts = 20
    /// Preference pairs per prompt in every set.
    public var pairsPerPrompt = 1
    /// Tokens per template phrase ("In my view the answer is" is longer; three keeps L = 4).
    public var templateLength = 3
    /// Answer tokens per stance in training, and in the paraphrase set (the paper had two).
    public var answersPerStance = 4
    /// Cosine between a paraphrase token's meaning and its original's.
    public var alignment = 0.9
    /// Fraction of paraphrase answer tokens that are training answer tokens (0: all unseen).
    public var overlap = 0.0
    /// How much a template phrase already carries the stance of the answer it introduces.
    public var templateStance = 0.5
    /// Weight of the just-read token's lexical identity in a context's representation.
    public var lexicalWeight = 0.5
    /// Weight of the prompt's representation.
    public var promptWeight = 1.0
    /// How fast earlier meanings fade as more tokens are read.
    public var memoryDecay = 0.7
    /// The implicit reward's beta.
    public var beta = 0.1
    /// Initial unembedding entries are N(0, unembeddingScale^2 / d).
    public var unembeddingScale = 1.0

    public init() {}

    /// The default, documented above.
    public static let standard = TokenShiftTask()

    /// Checks every setting, with a message that says which one and why.
    public func validate() throws {
        func fail(_ field: String, _ problem: String) -> InstanceValidationError {
            InstanceValidationError(field: field, problem: problem)
        }
        guard hiddenWidth >= 4 else { throw fail("hidden width", "must be at least 4, got \(hiddenWidth)") }
        guard trainPrompts >= 1, testPrompts >= 1 else { throw fail("prompts", "need at least one train and one test prompt") }
        guard pairsPerPrompt >= 1 else { throw fail("pairs per prompt", "must be at least 1") }
        guard templateLength >= 1 else { throw fail("template length", "must be at least 1") }
        guard answersPerStance >= 1 else { throw fail("answers per stance", "must be at least 1") }
        guard (0...1).contains(alignment) else { throw fail("alignment", "must lie in [0, 1], got \(alignment)") }
        guard (0...1).contains(overlap) else { throw fail("overlap", "must lie in [0, 1], got \(overlap)") }
        guard beta > 0, beta.isFinite else { throw fail("beta", "must be > 0, got \(beta)") }
        guard (0..<1).contains(memoryDecay) else { throw fail("memory decay", "must lie in [0, 1)") }
        guard vocabularySize >= tokensUsed else {
            throw fail("vocabulary size", "must be at least \(tokensUsed) (the task's own tokens), got \(vocabularySize)")
        }
    }

    /// Tokens the task itself uses: 6 template phrases and 4 answer sets.
    public var tokensUsed: Int { 6 * templateLength + 4 * answersPerStance }

    /// How many paraphrase answer tokens per stance are training tokens.
    public var sharedAnswerCount: Int { Int((overlap * Double(answersPerStance)).rounded()) }

    public func make() throws -> Instance {
        try validate()
        let d = hiddenWidth
        var space = MeaningSpace(dimension: d, seed: seed)

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
        let agreeAnswers = block(answersPerStance)
        let disagreeAnswers = block(answersPerStance)
        let newAgreeAnswers = block(answersPerStance)
        let newDisagreeAnswers = block(answersPerStance)
        let shared = sharedAnswerCount
        let paraphraseAgreeAnswers = Array(agreeAnswers.prefix(shared) + newAgreeAnswers.prefix(answersPerStance - shared))
        let paraphraseDisagreeAnswers = Array(
            disagreeAnswers.prefix(shared) + newDisagreeAnswers.prefix(answersPerStance - shared))

        // Meanings and lexical identities.
        let agree = space.unit()
        let disagree = space.unit()
        let answerFollows = space.unit()
        var meaning = [[Double]](repeating: [], count: vocabularySize)
        var identity = [[Double]](repeating: [], count: vocabularySize)
        for token in 0..<vocabularySize { identity[token] = space.unit() }
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
                meaning[token] = space.aligned(cosine: alignment, with: original)
            }
        }
        for (stance, newAnswers) in [(agree, newAgreeAnswers), (disagree, newDisagreeAnswers)] {
            for token in newAnswers { meaning[token] = space.aligned(cosine: alignment, with: stance) }
        }
        let prompts = (0..<(trainPrompts + testPrompts)).map { _ in space.unit() }

        func representation(prompt: Int, tokens: [Int]) -> Matrix {
            var rows: [[Double]] = []
            var memory = [Double](repeating: 0, count: d)
            rows.append(space.combination([(promptWeight, prompts[prompt])]))
            for token in tokens {
                memory = space.combination([(memoryDecay, memory), (1, meaning[token])])
                rows.append(space.combination([(promptWeight, prompts[prompt]), (1, memory), (lexicalWeight, identity[token])]))
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
        let trainRange = 0..<trainPrompts
        let testRange = trainPrompts..<(trainPrompts + testPrompts)
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

        let unembedding = GaussianSampling.matrix(rows: vocabularySize, columns: d,
                                                  scale: unembeddingScale / Double(d).squareRoot(), using: &space.generator)
        return try Instance(
            beta: beta, unembedding: unembedding, sequences: sequences, train: train,
            evaluationSets: [
                EvaluationSet(name: "train", pairs: train), EvaluationSet(name: "test", pairs: test),
                EvaluationSet(name: "paraphrase", pairs: paraphrased),
                EvaluationSet(name: "paraphrase_test", pairs: paraphrasedTest),
            ])
    }
}
