import LinearAlgebra
import RewardDynamics
import TheorycheckCore
import TinyLM

/// Everything a Persona run depends on (docs/theory.md §6), with a reason per default. Codable, so a
/// report can carry the configuration it was made with.
public struct PersonaConfiguration: Codable, Equatable, Sendable {
    /// One full run (pretraining, data split, reward-model training) per seed; 3 gives a spread.
    public var seeds: [UInt64]
    /// 80 training and 40 test statements, as in the paper.
    public var trainStatements: Int
    public var testStatements: Int
    /// Pairs drawn per statement (random chosen and rejected variants); 2 gives 160 training pairs.
    public var pairsPerStatement: Int
    /// The implicit rewards' beta; 0.01 as in the paper.
    public var beta: Double
    /// The backbone: d = 64, 2 layers, 4 heads, context 32 (`TinyLMConfiguration.small`).
    public var width: Int
    public var layers: Int
    public var heads: Int
    public var contextLength: Int
    /// Next-token pretraining on the grammar's corpus, seeded per run.
    public var pretraining: PretrainingConfiguration
    /// Passes over the training pairs; the paper uses 50, 20 is enough for these models to fit them.
    public var epochs: Int
    /// Pairs per Adam step.
    public var batchSize: Int
    /// Adam's learning rate for every reward model (head and backbone alike).
    public var learningRate: Double
    /// Assumption 1: train only the read-out.
    public var readoutOnly: Bool
    /// The reward models to train, in table order.
    public var rewardModels: [RewardModelKind]
    /// Threads: pretrainings and reward-model trainings run side by side (single-threaded BLAS), or with
    /// one seed, inside each step; results do not depend on it.
    public var threads: Int
    /// The precision of every forward and backward pass of the backbone (`TinyLMConfiguration.precision`).
    public var precision: Precision

    public init(seeds: [UInt64] = [0, 1, 2], trainStatements: Int = 80, testStatements: Int = 40,
                pairsPerStatement: Int = 2, beta: Double = 0.01, width: Int = 64, layers: Int = 2, heads: Int = 4,
                contextLength: Int = 32, pretraining: PretrainingConfiguration = PretrainingConfiguration(),
                epochs: Int = 20, batchSize: Int = 32, learningRate: Double = 1e-3, readoutOnly: Bool = false,
                rewardModels: [RewardModelKind] = RewardModelKind.allCases, threads: Int = 2,
                precision: Precision = .float64)
    {
        self.seeds = seeds
        self.trainStatements = trainStatements
        self.testStatements = testStatements
        self.pairsPerStatement = pairsPerStatement
        self.beta = beta
        self.width = width
        self.layers = layers
        self.heads = heads
        self.contextLength = contextLength
        self.pretraining = pretraining
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.readoutOnly = readoutOnly
        self.rewardModels = rewardModels
        self.threads = threads
        self.precision = precision
    }

    /// The experiment's defaults.
    public static let standard = PersonaConfiguration()

    /// A run small enough for a debug-build test: d = 8, 1 layer, a few statements and steps.
    public static let quick = PersonaConfiguration(
        seeds: [0, 1], trainStatements: 4, testStatements: 2, pairsPerStatement: 1, width: 8, layers: 1, heads: 2,
        pretraining: PretrainingConfiguration(steps: 5, batchSize: 4, trainingDocuments: 50, heldOutDocuments: 10),
        epochs: 2, batchSize: 2, learningRate: 3e-3, threads: 1)

    /// The backbone's configuration for a vocabulary of `vocabularySize` tokens.
    public func modelConfiguration(vocabularySize: Int) -> TinyLMConfiguration {
        TinyLMConfiguration(vocabularySize: vocabularySize, width: width, layers: layers, heads: heads,
                            contextLength: contextLength, precision: precision)
    }

    /// Throws the first problem, as a sentence that says what to change (the backbone's own checks run
    /// when it is built; the context is checked against the data then).
    public func validate() throws {
        if seeds.isEmpty { throw ConfigurationError("no seeds; give at least one") }
        if epochs < 0 { throw ConfigurationError("epochs is \(epochs); it must be 0 or more") }
        if batchSize < 1 { throw ConfigurationError("batch size is \(batchSize); use at least 1 pair per step") }
        if !(learningRate > 0 && learningRate.isFinite) {
            throw ConfigurationError("the learning rate is \(learningRate); it must be a positive number")
        }
        if !(beta > 0 && beta.isFinite) { throw ConfigurationError("beta is \(beta); it must be a positive number") }
        if rewardModels.isEmpty { throw ConfigurationError("no reward models to train") }
        if threads < 1 { throw ConfigurationError("threads is \(threads); use at least 1") }
        try modelConfiguration(vocabularySize: 2).validate()
        try pretraining.validate()
    }
}
