import LinearAlgebra
import TheorycheckCore
import TinyLM

/// The setting the tiny-LM dynamics check (`TinyLMDynamicsConfiguration`) and the mechanism split
/// (`MechanismConfiguration`) share: Persona pairs through a backbone pretrained from a `BackboneRecipe`,
/// each reward model then trained by full-batch gradient descent. Both configurations wrap one
/// (`PersonaDescentConfiguration`: their fields read through to it) and differ only in defaults and their
/// own checks; the fields, their JSON (the backbone's flat beside the rest), the learning-rate rule, the
/// common checks and the setup (data, pretrained backbone) are written once here.
public struct PersonaDescentSetting: Codable, Equatable, Sendable {
    /// Full-batch gradient-descent steps.
    public var steps: Int
    /// eta of the EX-RMs (head and backbone alike).
    public var learningRate: Double
    /// eta of the IM-RMs; nil means learningRate / beta, so that ln pi moves at the pace an EX-RM reward
    /// does (the implicit reward's gradient carries a factor beta).
    public var implicitLearningRate: Double?
    /// beta of the implicit rewards.
    public var beta: Double
    /// Seeds the pretraining corpus, the backbone's initialization and the statement split.
    public var seed: UInt64
    /// The backbone's shape and pretraining; always float64, the precision the first-order checks need.
    public var backbone: BackboneRecipe
    /// Training and test statements, and pairs drawn per statement.
    public var trainStatements: Int
    public var testStatements: Int
    public var pairsPerStatement: Int
    /// Assumption 1: freeze all but the read-out.
    public var readoutOnly: Bool
    public var rewardModels: [RewardModelKind]
    /// Reward models trained at once, each on its own thread; the result does not depend on it.
    public var threads: Int

    public init(steps: Int, learningRate: Double, implicitLearningRate: Double?, beta: Double, seed: UInt64,
                backbone: BackboneRecipe, trainStatements: Int, testStatements: Int, pairsPerStatement: Int,
                readoutOnly: Bool, rewardModels: [RewardModelKind], threads: Int)
    {
        self.steps = steps
        self.learningRate = learningRate
        self.implicitLearningRate = implicitLearningRate
        self.beta = beta
        self.seed = seed
        self.backbone = backbone
        self.trainStatements = trainStatements
        self.testStatements = testStatements
        self.pairsPerStatement = pairsPerStatement
        self.readoutOnly = readoutOnly
        self.rewardModels = rewardModels
        self.threads = threads
    }

    /// Debug-build test size from this setting: `steps` steps on the quick backbone (d = 8, 1 layer, a few
    /// pretraining steps), 3 + 2 statements, one thread.
    public func quick(steps: Int) -> PersonaDescentSetting {
        var quick = self
        quick.steps = steps
        quick.backbone = .quick
        quick.trainStatements = 3
        quick.testStatements = 2
        quick.threads = 1
        return quick
    }

    private enum CodingKeys: String, CodingKey {
        case steps, learningRate, implicitLearningRate, beta, seed, trainStatements, testStatements, pairsPerStatement
        case readoutOnly, rewardModels, threads
    }

    /// The learning rate of `type`.
    public func learningRate(for type: RewardModelKind) -> Double {
        type.isImplicit ? (implicitLearningRate ?? learningRate / beta) : learningRate
    }

    /// The backbone's configuration for a vocabulary of `vocabularySize` tokens.
    public func modelConfiguration(vocabularySize: Int) -> TinyLMConfiguration {
        backbone.modelConfiguration(vocabularySize: vocabularySize)
    }

    /// The checks both settings make, after their own checks of `steps`: rates, beta, the reward-model
    /// list, threads and the backbone.
    func validateCommon() throws {
        if !(learningRate > 0 && learningRate.isFinite) {
            throw ConfigurationError("the learning rate is \(learningRate); it must be a positive number")
        }
        if let implicitLearningRate, !(implicitLearningRate > 0 && implicitLearningRate.isFinite) {
            throw ConfigurationError("the IM-RM learning rate is \(implicitLearningRate); it must be a positive number")
        }
        if !(beta > 0 && beta.isFinite) { throw ConfigurationError("beta is \(beta); it must be a positive number") }
        if rewardModels.isEmpty { throw ConfigurationError("no reward models to train") }
        if threads < 1 { throw ConfigurationError("threads is \(threads); use at least 1") }
        if backbone.precision != .float64 {
            throw ConfigurationError(
                "the backbone's precision is \(backbone.precision.rawValue); the first-order checks compare changes at float64 rounding, use float64")
        }
        try backbone.validate()
    }

    /// The Persona pairs of `seed` and the backbone pretrained on `grammar`, with the pretraining's figures.
    func prepare(grammar: Grammar, progress: (@Sendable (String) -> Void)?) throws
        -> (dataset: PersonaDataset, backbone: TinyLM, pretraining: PretrainingSummary)
    {
        let dataset = try PersonaDataset(grammar: grammar, trainStatements: trainStatements,
                                         testStatements: testStatements, pairsPerStatement: pairsPerStatement, seed: seed)
        try dataset.checkFits(backbone)
        let (pretrained, vocabularySize) = try backbone.pretrain(on: grammar, seed: seed)
        progress?("pretrained: held-out loss \(pretrained.heldOutLossBefore) -> \(pretrained.heldOutLossAfter)")
        return (dataset, pretrained.model, PretrainingSummary(seed: seed, pretrained, vocabularySize: vocabularySize))
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(steps: try container.decode(Int.self, forKey: .steps),
                  learningRate: try container.decode(Double.self, forKey: .learningRate),
                  implicitLearningRate: try container.decodeIfPresent(Double.self, forKey: .implicitLearningRate),
                  beta: try container.decode(Double.self, forKey: .beta),
                  seed: try container.decode(UInt64.self, forKey: .seed),
                  backbone: try BackboneRecipe(flatFrom: decoder, defaults: .dynamics),
                  trainStatements: try container.decode(Int.self, forKey: .trainStatements),
                  testStatements: try container.decode(Int.self, forKey: .testStatements),
                  pairsPerStatement: try container.decode(Int.self, forKey: .pairsPerStatement),
                  readoutOnly: try container.decode(Bool.self, forKey: .readoutOnly),
                  rewardModels: try container.decode([RewardModelKind].self, forKey: .rewardModels),
                  threads: try container.decode(Int.self, forKey: .threads))
    }

    /// The backbone's fields flat beside the rest, without its precision (always float64 here).
    public func encode(to encoder: Encoder) throws {
        try backbone.encodeFlat(to: encoder, omitting: [.precision])
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(steps, forKey: .steps)
        try container.encode(learningRate, forKey: .learningRate)
        try container.encodeIfPresent(implicitLearningRate, forKey: .implicitLearningRate)
        try container.encode(beta, forKey: .beta)
        try container.encode(seed, forKey: .seed)
        try container.encode(trainStatements, forKey: .trainStatements)
        try container.encode(testStatements, forKey: .testStatements)
        try container.encode(pairsPerStatement, forKey: .pairsPerStatement)
        try container.encode(readoutOnly, forKey: .readoutOnly)
        try container.encode(rewardModels, forKey: .rewardModels)
        try container.encode(threads, forKey: .threads)
    }
}

/// A configuration that is a `PersonaDescentSetting` with its own defaults and checks: its fields read
/// and write through to `setting` (`configuration.steps`, `configuration.backbone.width`), its JSON is the
/// setting's.
@dynamicMemberLookup
public protocol PersonaDescentConfiguration: Codable, Equatable, Sendable {
    var setting: PersonaDescentSetting { get set }
    init(setting: PersonaDescentSetting)
}

extension PersonaDescentConfiguration {
    public subscript<Value>(dynamicMember keyPath: WritableKeyPath<PersonaDescentSetting, Value>) -> Value {
        get { setting[keyPath: keyPath] }
        set { setting[keyPath: keyPath] = newValue }
    }

    /// eta of the EX-RMs, spelled out: `learningRate(for:)` hides it from the dynamic member lookup.
    public var learningRate: Double {
        get { setting.learningRate }
        set { setting.learningRate = newValue }
    }

    /// The learning rate of `type`.
    public func learningRate(for type: RewardModelKind) -> Double { setting.learningRate(for: type) }

    public init(from decoder: Decoder) throws { self.init(setting: try PersonaDescentSetting(from: decoder)) }

    /// Flat: the setting's fields at the top level.
    public func encode(to encoder: Encoder) throws { try setting.encode(to: encoder) }
}
