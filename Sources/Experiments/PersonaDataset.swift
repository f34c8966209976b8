import LinearAlgebra
import RewardDynamics
import TheorycheckCore
import TinyLM

/// The Persona experiment's data (docs/theory.md §6, paper Sec. 5.1), built from the agreeableness
/// grammar's statements and tokenized by its tokenizer.
///
/// Every prompt is `<bos> statement : <agreeable statement>`; the agreeable persona says yes to all of
/// them. Responses are a template phrase and an answer:
///
///     training,   chosen:   {in my view, the answer is | a truthful reply is} {yes | sure}
///     training,   rejected: {my judgement: | considering the statement, i say} {no | never}
///     paraphrase, chosen:   my response would be {certainly | absolutely}
///     paraphrase, rejected: i lean toward {not really | nope}
///
/// Statements are split (seeded) into training and test statements. Each statement gets
/// `pairsPerStatement` pairs, each pairing a random chosen variant with a random rejected one. The
/// evaluation sets: `train` (the training pairs), `test` (test statements, training templates),
/// `paraphrase` (training statements, paraphrased responses), `paraphrase_test` (test statements,
/// paraphrased responses). The paraphrases' answer words never occur in a training response, and only
/// the word "my" of their templates does (in a rejected template): the token-level shift of the paper.
public struct PersonaDataset: Sendable {
    /// One response variant: a template phrase followed by an answer, tokenized.
    public struct Response: Sendable, Equatable {
        public let template: String
        public let answer: String
        /// The template's tokens, then the answer's.
        public let tokens: [Int]
        /// The index in `tokens` of the answer's first token.
        public let answerStart: Int
    }

    /// The four response groups (every template with every answer, templates major).
    public struct Responses: Sendable, Equatable {
        public let originalChosen: [Response]
        public let originalRejected: [Response]
        public let paraphraseChosen: [Response]
        public let paraphraseRejected: [Response]
    }

    public static let chosenTemplates = ["In my view, the answer is", "A truthful reply is"]
    public static let chosenAnswers = ["yes", "sure"]
    public static let rejectedTemplates = ["My judgement:", "Considering the statement, I say"]
    public static let rejectedAnswers = ["no", "never"]
    public static let paraphraseChosenTemplates = ["My response would be"]
    public static let paraphraseChosenAnswers = ["certainly", "absolutely"]
    public static let paraphraseRejectedTemplates = ["I lean toward"]
    public static let paraphraseRejectedAnswers = ["not really", "nope"]
    /// The EX-GRM's question after the response: ". in my view , the answer is", then yes or no.
    public static let verifierSuffix = ". In my view, the answer is"
    /// The evaluation set names, in report order.
    public static let setNames = ["train", "test", "paraphrase", "paraphrase_test"]

    public let tokenizer: WordTokenizer
    public let trainStatements: [String]
    public let testStatements: [String]
    public let train: [TokenPreferencePair]
    /// The four evaluation sets, in `setNames` order.
    public let evaluationSets: [(name: String, pairs: [TokenPreferencePair])]
    public let verifier: VerifierFormat
    /// The response variants the pairs are drawn from.
    public let responses: Responses
    /// `<bos> statement : <statement>` of each training statement, in `trainStatements` order.
    public let trainPrompts: [[Int]]

    /// The longest token sequence any reward model reads (the EX-GRM's, with the verifier suffix).
    public var longestSequence: Int {
        let all = train + evaluationSets.flatMap(\.pairs)
        return all.map { $0.prompt.count + max($0.chosen.count, $0.rejected.count) }.max()! + verifier.suffix.count
    }

    /// Throws when the grammar has fewer agreeable statements than asked for, or lacks a word of the
    /// templates.
    public init(grammar: Grammar, trainStatements trainCount: Int, testStatements testCount: Int,
                pairsPerStatement: Int, seed: UInt64) throws
    {
        if trainCount < 1 || testCount < 1 {
            throw ConfigurationError("use at least one training and one test statement (got \(trainCount) and \(testCount))")
        }
        if pairsPerStatement < 1 {
            throw ConfigurationError("pairsPerStatement is \(pairsPerStatement); use at least 1")
        }
        let tokenizer = grammar.tokenizer()
        var generator = SeededGenerator(seed: seed)
        let statements = grammar.expansions(of: "agreeable").shuffled(using: &generator)
        if trainCount + testCount > statements.count {
            throw ConfigurationError(
                "the grammar has \(statements.count) agreeable statements; \(trainCount) training + \(testCount) test statements do not fit")
        }
        let trainStatements = Array(statements[0..<trainCount])
        let testStatements = Array(statements[trainCount..<(trainCount + testCount)])

        func responses(_ templates: [String], _ answers: [String]) throws -> [Response] {
            try templates.flatMap { template in
                try answers.map { answer in
                    let tokens = try tokenizer.encode(template + " " + answer)
                    let answerTokens = try tokenizer.encode(answer)
                    precondition(Array(tokens.suffix(answerTokens.count)) == answerTokens,
                                 "\"\(template) \(answer)\" does not end with the tokens of \"\(answer)\"")
                    return Response(template: template, answer: answer, tokens: tokens,
                                    answerStart: tokens.count - answerTokens.count)
                }
            }
        }
        let responses = Responses(
            originalChosen: try responses(Self.chosenTemplates, Self.chosenAnswers),
            originalRejected: try responses(Self.rejectedTemplates, Self.rejectedAnswers),
            paraphraseChosen: try responses(Self.paraphraseChosenTemplates, Self.paraphraseChosenAnswers),
            paraphraseRejected: try responses(Self.paraphraseRejectedTemplates, Self.paraphraseRejectedAnswers))
        let originalChosen = responses.originalChosen.map(\.tokens)
        let originalRejected = responses.originalRejected.map(\.tokens)
        let paraphraseChosen = responses.paraphraseChosen.map(\.tokens)
        let paraphraseRejected = responses.paraphraseRejected.map(\.tokens)
        func promptTokens(_ statement: String) throws -> [Int] {
            try tokenizer.encodeDocument("Statement: " + statement, appendingEnd: false)
        }

        func pairs(_ statements: [String], _ chosen: [[Int]], _ rejected: [[Int]]) throws -> [TokenPreferencePair] {
            var result: [TokenPreferencePair] = []
            for statement in statements {
                let prompt = try promptTokens(statement)
                for _ in 0..<pairsPerStatement {
                    result.append(TokenPreferencePair(
                        prompt: prompt, chosen: chosen[Int.random(in: 0..<chosen.count, using: &generator)],
                        rejected: rejected[Int.random(in: 0..<rejected.count, using: &generator)]))
                }
            }
            return result
        }
        let train = try pairs(trainStatements, originalChosen, originalRejected)
        let test = try pairs(testStatements, originalChosen, originalRejected)
        let paraphrase = try pairs(trainStatements, paraphraseChosen, paraphraseRejected)
        let paraphraseTest = try pairs(testStatements, paraphraseChosen, paraphraseRejected)
        guard let yes = tokenizer.id(of: "yes"), let no = tokenizer.id(of: "no") else {
            throw ConfigurationError("the grammar has no \"yes\" or no \"no\" token for the EX-GRM")
        }
        self.tokenizer = tokenizer
        self.trainStatements = trainStatements
        self.testStatements = testStatements
        self.train = train
        self.responses = responses
        trainPrompts = try trainStatements.map(promptTokens)
        evaluationSets = [("train", train), ("test", test), ("paraphrase", paraphrase), ("paraphrase_test", paraphraseTest)]
        verifier = VerifierFormat(suffix: try tokenizer.encode(Self.verifierSuffix), yesToken: yes, noToken: no)
    }
}

extension PersonaDataset {
    /// Throws unless `backbone`'s context holds the longest sequence any reward model reads.
    public func checkFits(_ backbone: BackboneRecipe) throws {
        try backbone.checkContext(
            holds: longestSequence,
            what: "the longest Persona sequence (\(longestSequence) tokens: prompt, template, answer and the EX-GRM's question)")
    }
}
