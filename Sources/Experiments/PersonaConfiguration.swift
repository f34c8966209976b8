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
    /// The backbone (`BackboneRecipe.persona`: d = 64, 2 layers, 4 heads, context 32), its next-token
    /// pretraining on the grammar's corpus (seeded per run) and the precision of its passes.
    public var backbone: BackboneRecipe
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

    public init(seeds: [UInt64] = [0, 1, 2], trainStatements: Int = 80, testStatements: Int = 40,
                pairsPerStatement: Int = 2, beta: Double = 0.01, backbone: BackboneRecipe = .persona,
                epochs: Int = 20, batchSize: Int = 32, learningRate: Double = 1e-3, readoutOnly: Bool = false,
                rewardModels: [RewardModelKind] = RewardModelKind.allCases, threads: Int = 2)
    {
        self.seeds = seeds
        self.trainStatements = trainStatements
        self.testStatements = testStatements
        self.pairsPerStatement = pairsPerStatement
        self.beta = beta
        self.backbone = backbone
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.readoutOnly = readoutOnly
        self.rewardModels = rewardModels
        self.threads = threads
    }

    /// The experiment's defaults.
    public static let standard = PersonaConfiguration()

    /// A run small enough for a debug-build test: d = 8, 1 layer, a few statements and steps.
    public static let quick = PersonaConfiguration(
        seeds: [0, 1], trainStatements: 4, testStatements: 2, pairsPerStatement: 1, backbone: .quick, epochs: 2, batchSize: 2, learningRate: 3e-3, threads: 1)

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
        try backbone.validate()
    }

    private enum CodingKeys: String, CodingKey {
        case seeds, trainStatements, testStatements, pairsPerStatement, beta, epochs, batchSize, learningRate
        case readoutOnly, rewardModels, threads
    }

    /// The backbone's fields stand flat beside the others (`BackboneRecipe.encodeFlat`).
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(seeds: try container.decode([UInt64].self, forKey: .seeds),
                  trainStatements: try container.decode(Int.self, forKey: .trainStatements),
                  testStatements: try container.decode(Int.self, forKey: .testStatements),
                  pairsPerStatement: try container.decode(Int.self, forKey: .pairsPerStatement),
                  beta: try container.decode(Double.self, forKey: .beta),
                  backbone: try BackboneRecipe(flatFrom: decoder, defaults: .persona),
                  epochs: try container.decode(Int.self, forKey: .epochs),
                  batchSize: try container.decode(Int.self, forKey: .batchSize),
                  learningRate: try container.decode(Double.self, forKey: .learningRate),
                  readoutOnly: try container.decode(Bool.self, forKey: .readoutOnly),
                  rewardModels: try container.decode([RewardModelKind].self, forKey: .rewardModels),
                  threads: try container.decode(Int.self, forKey: .threads))
    }

    public func encode(to encoder: Encoder) throws {
        try backbone.encodeFlat(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(seeds, forKey: .seeds)
        try container.encode(trainStatements, forKey: .trainStatements)
        try container.encode(testStatements, forKey: .testStatements)
        try container.encode(pairsPerStatement, forKey: .pairsPerStatement)
        try container.encode(beta, forKey: .beta)
        try container.encode(epochs, forKey: .epochs)
        try container.encode(batchSize, forKey: .batchSize)
        try container.encode(learningRate, forKey: .learningRate)
        try container.encode(readoutOnly, forKey: .readoutOnly)
        try container.encode(rewardModels, forKey: .rewardModels)
        try container.encode(threads, forKey: .threads)
    }
}
