import TheorycheckCore
import TinyLM

/// `theorycheck mechanism`: the tiny-LM dynamics setting (Persona data, a small pretrained backbone,
/// full-batch gradient descent, every parameter training) with every step's first-order change split by
/// mechanism, and the lazy (frozen-kernel) prediction of the outcome. Sizes are those of
/// `TinyLMDynamicsConfiguration`, so that the two reports describe the same runs.
public struct MechanismConfiguration: Codable, Equatable, Sendable {
    /// Full-batch gradient-descent steps; 500 as in `dynamics --model tiny-lm` (training loss near 0 by then).
    public var steps: Int
    /// eta of the EX-RMs (head and backbone alike). 0.01, fifty times below the tiny-LM dynamics check's
    /// 0.5, for two reasons that concern whether a first-order split means anything, not what it shows: at 0.5 the EX-RM's first step (u = 0, no
    /// backbone gradient) already reaches margins near 29 and training is over after it, and the IM-RM's
    /// first step (eta 5) is far beyond first order; at 0.01 both first steps are first order and the
    /// training losses fall over the checkpoints' decades. `--lr 0.5` reproduces the dynamics setting.
    public var learningRate: Double
    /// eta of the IM-RMs; nil means learningRate / beta, so that ln pi moves at the pace an EX-RM reward
    /// does (the implicit reward's gradient carries a factor beta).
    public var implicitLearningRate: Double?
    /// beta of the implicit rewards; 0.1 as in the tiny-LM dynamics check.
    public var beta: Double
    /// Seeds the pretraining corpus, the backbone's initialization and the statement split.
    public var seed: UInt64
    /// The backbone: d = 32, 2 layers, 4 heads, context 32 (the tiny-LM dynamics sizes): small enough for
    /// dozens of reverse sweeps per step, deep enough that the representations move.
    public var width: Int
    public var layers: Int
    public var heads: Int
    public var contextLength: Int
    /// 300 steps of batch 16 pretraining: the synonym structure is learned, in seconds.
    public var pretraining: PretrainingConfiguration
    /// 8 training and 4 test statements with one pair each: 8 training pairs, 24 evaluation pairs.
    public var trainStatements: Int
    public var testStatements: Int
    public var pairsPerStatement: Int
    /// Assumption 1: freeze all but the read-out (then every backbone part is exactly 0).
    public var readoutOnly: Bool
    /// The EX-RM and the IM-RM by default (the mean-pooled EX-RM and the IM-RM without reference are
    /// supported; the EX-GRM is not: its loss is not Bradley-Terry).
    public var rewardModels: [RewardModelKind]
    /// Reward models trained at once, each on its own thread; the result does not depend on it.
    public var threads: Int

    public init(steps: Int = 500, learningRate: Double = 0.01, implicitLearningRate: Double? = nil, beta: Double = 0.1,
                seed: UInt64 = 0, width: Int = 32, layers: Int = 2, heads: Int = 4, contextLength: Int = 32,
                pretraining: PretrainingConfiguration = PretrainingConfiguration(steps: 300, batchSize: 16),
                trainStatements: Int = 8, testStatements: Int = 4, pairsPerStatement: Int = 1, readoutOnly: Bool = false,
                rewardModels: [RewardModelKind] = [.explicit, .implicit], threads: Int = 2)
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

    /// Debug-build test size: d = 8, 1 layer, 3 + 2 statements, a few pretraining and training steps.
    public static let quick = MechanismConfiguration(
        steps: 5, width: 8, layers: 1, heads: 2,
        pretraining: PretrainingConfiguration(steps: 5, batchSize: 4, trainingDocuments: 50, heldOutDocuments: 10),
        trainStatements: 3, testStatements: 2, threads: 1)

    /// The largest `steps` accepted: a 5000-step default-size run takes about ten times the default's time.
    public static let maximumSteps = 5000

    /// The learning rate of `type`.
    public func learningRate(for type: RewardModelKind) -> Double {
        type.isImplicit ? (implicitLearningRate ?? learningRate / beta) : learningRate
    }

    public func modelConfiguration(vocabularySize: Int) -> TinyLMConfiguration {
        TinyLMConfiguration(vocabularySize: vocabularySize, width: width, layers: layers, heads: heads,
                            contextLength: contextLength)
    }

    /// Steps at which kernels, the lazy prediction and the metrics are compared: 0, then 1, 2, 5 times
    /// each power of ten below `total`, and `total`.
    public static func checkpointSteps(total: Int) -> [Int] { StepSchedule.oneTwoFive.steps(upTo: total) }

    /// Throws the first problem, as a sentence that says what to change.
    public func validate() throws {
        if steps < 0 || steps > Self.maximumSteps {
            throw ConfigurationError("steps is \(steps); use 0 to \(Self.maximumSteps)")
        }
        if !(learningRate > 0 && learningRate.isFinite) {
            throw ConfigurationError("the learning rate is \(learningRate); it must be a positive number")
        }
        if let implicitLearningRate, !(implicitLearningRate > 0 && implicitLearningRate.isFinite) {
            throw ConfigurationError("the IM-RM learning rate is \(implicitLearningRate); it must be a positive number")
        }
        if !(beta > 0 && beta.isFinite) { throw ConfigurationError("beta is \(beta); it must be a positive number") }
        if rewardModels.isEmpty { throw ConfigurationError("no reward models to train") }
        if rewardModels.contains(.generativeVerifier) {
            throw ConfigurationError(
                "the EX-GRM is trained by cross-entropy, not the Bradley-Terry loss the decomposition is about; leave it out")
        }
        if Set(rewardModels).count != rewardModels.count { throw ConfigurationError("a reward model is listed twice") }
        if threads < 1 { throw ConfigurationError("threads is \(threads); use at least 1") }
        try modelConfiguration(vocabularySize: 2).validate()
        try pretraining.validate()
    }
}
