import RewardDynamics
import TheorycheckCore
import LinearAlgebra
import TinyLM

/// The tiny-LM dynamics check: Persona data through small pretrained backbones, each reward model
/// trained by full-batch gradient descent, every step's reward changes compared with two first-order
/// predictions. Sizes are small on purpose: the empirical tangent kernel needs one reverse sweep per
/// evaluation sequence per step.
public struct TinyLMDynamicsConfiguration: Codable, Equatable, Sendable {
    /// Full-batch gradient-descent steps.
    public var steps: Int
    /// eta of the EX-RMs and the EX-GRM (head and backbone alike).
    public var learningRate: Double
    /// eta of the IM-RMs; nil means learningRate / beta, so that ln pi moves at the pace an EX-RM reward
    /// does (the implicit reward's gradient carries a factor beta).
    public var implicitLearningRate: Double?
    public var beta: Double
    /// Seeds the pretraining corpus, the backbone's initialization and the statement split.
    public var seed: UInt64
    /// The backbone: d = 32, 2 layers, 4 heads, context 32: small enough for per-sequence gradients at
    /// every step, deep enough that the representations can move.
    public var width: Int
    public var layers: Int
    public var heads: Int
    public var contextLength: Int
    /// 300 steps of batch 16 pretraining: the synonym structure is learned, and it takes seconds.
    public var pretraining: PretrainingConfiguration
    /// 8 training and 4 test statements with one pair each: 8 training pairs and 24 evaluation pairs.
    public var trainStatements: Int
    public var testStatements: Int
    public var pairsPerStatement: Int
    /// Assumption 1: freeze all but the read-out (then both predictions coincide with the closed form).
    public var readoutOnly: Bool
    public var rewardModels: [RewardModelKind]
    /// Reward models trained at once, each on its own thread; the result does not depend on it.
    public var threads: Int

    public init(steps: Int = 500, learningRate: Double = 0.5, implicitLearningRate: Double? = nil, beta: Double = 0.1,
                seed: UInt64 = 0, width: Int = 32, layers: Int = 2, heads: Int = 4, contextLength: Int = 32,
                pretraining: PretrainingConfiguration = PretrainingConfiguration(steps: 300, batchSize: 16),
                trainStatements: Int = 8, testStatements: Int = 4, pairsPerStatement: Int = 1, readoutOnly: Bool = false,
                rewardModels: [RewardModelKind] = RewardModelKind.allCases, threads: Int = 2)
    {
        self.steps = steps
        self.learningRate = learningRate
        self.implicitLearningRate = implicitLearningRate
        self.beta = beta
        self.seed = seed
        self.width = width
        self.layers = layers
        self.heads = heads
        self.contextLength = contextLength
        self.pretraining = pretraining
        self.trainStatements = trainStatements
        self.testStatements = testStatements
        self.pairsPerStatement = pairsPerStatement
        self.readoutOnly = readoutOnly
        self.rewardModels = rewardModels
        self.threads = threads
    }

    /// Debug-build test size: d = 8, 1 layer, 3 + 2 statements, a few pretraining steps.
    public static let quick = TinyLMDynamicsConfiguration(
        steps: 3, width: 8, layers: 1, heads: 2,
        pretraining: PretrainingConfiguration(steps: 5, batchSize: 4, trainingDocuments: 50, heldOutDocuments: 10),
        trainStatements: 3, testStatements: 2, threads: 1)

    /// The learning rate of `type`.
    public func learningRate(for type: RewardModelKind) -> Double {
        type.isImplicit ? (implicitLearningRate ?? learningRate / beta) : learningRate
    }

    public func modelConfiguration(vocabularySize: Int) -> TinyLMConfiguration {
        TinyLMConfiguration(vocabularySize: vocabularySize, width: width, layers: layers, heads: heads,
                            contextLength: contextLength)
    }

    public func validate() throws {
        if steps < 0 { throw ConfigurationError("steps is \(steps); it must be 0 or more") }
        if !(learningRate > 0 && learningRate.isFinite) {
            throw ConfigurationError("the learning rate is \(learningRate); it must be a positive number")
        }
        if let implicitLearningRate, !(implicitLearningRate > 0 && implicitLearningRate.isFinite) {
            throw ConfigurationError("the IM-RM learning rate is \(implicitLearningRate); it must be a positive number")
        }
        if !(beta > 0 && beta.isFinite) { throw ConfigurationError("beta is \(beta); it must be a positive number") }
        // The derived IM-RM rate lr / beta overflows for a tiny beta.
        let implicitRate = learningRate(for: .implicit)
        try DivergenceError.check(implicitRate, .learningRate, model: RewardModelKind.implicit.rawValue, step: 0,
                                  cause: implicitLearningRate == nil ? .betaTooSmall(beta) : .learningRateTooLarge(implicitRate))
        if rewardModels.isEmpty { throw ConfigurationError("no reward models to train") }
        if threads < 1 { throw ConfigurationError("threads is \(threads); use at least 1") }
        try modelConfiguration(vocabularySize: 2).validate()
        try pretraining.validate()
    }
}
