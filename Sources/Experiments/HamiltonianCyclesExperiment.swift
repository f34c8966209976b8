import Foundation
import LinearAlgebra
import RewardDynamics
import Tasks
import TheorycheckCore
import TinyLM

/// The settings of the Hamiltonian-cycle experiment (Razin et al., Sec. 3.2), as one Codable value with
/// named presets.
///
/// The experiment: a small language model first learns the answer *format* (supervised on uniformly
/// random permutations, so it knows nothing about which permutations are cycles: the stand-in for a
/// pretrained model that cannot solve the task); this is pi_ref. It is then trained as an IM-RM and,
/// separately, as an EX-RM on the verification pairs (chosen = planted cycle, rejected = a non-cycle
/// permutation). Theorem 1 says verification can succeed while the IM-RM's policy still generates
/// almost no valid cycle; the paper measured 0.993 test accuracy and 0 correct generations (Pythia-1B,
/// N = 10).
public struct HamiltonianExperimentConfig: Sendable, Equatable, Codable {
    /// The graphs; setting it resizes the backbone's context to the task (`contextLength(for:)`).
    public var task: HamiltonianCyclesConfig {
        didSet { backbone.contextLength = Self.contextLength(for: task, promptFormat: promptFormat) }
    }
    /// How the prompt lists the edges; setting it resizes the backbone's context as well.
    public var promptFormat: HamiltonianCyclesVocabulary.PromptFormat {
        didSet { backbone.contextLength = Self.contextLength(for: task, promptFormat: promptFormat) }
    }
    /// Graphs carved from the `task.trainCount` training graphs as a validation set
    /// (`HamiltonianCyclesValidationSplit`: training graphs equal to one of them are dropped too), on
    /// which settings are chosen; 0 trains on every training graph.
    public var validationCount: Int
    /// The model: d (the hidden state the EX-RM head reads), layers, heads (must divide d), the precision
    /// of every pass, and as its pretraining the supervised format training on random permutations that
    /// makes pi_ref: `pretraining.steps` Adam steps (0: pi_ref is the freshly initialized model, which does
    /// not even produce permutations) of `pretraining.batchSize` graphs, each with a fresh random
    /// permutation as its answer, at `pretraining.adam`. The permutations are drawn from `seed` below, not
    /// from a corpus: the pretraining's document counts and seed are not used. The context is the task's
    /// (`contextLength(for:)`).
    public var backbone: BackboneRecipe
    /// An optional generic stage before the format training: `lookupSteps` Adam steps of `batchSize`
    /// sequences of the in-context lookup task (`KeyValueLookupTask`, random key-value lists queried
    /// after "=>"), at `pretraining.adam`'s settings with learning rate `lookupLearningRate`. It stands in
    /// for the lookup circuits a pretrained language model brings; 0 steps leaves it out.
    public var lookupSteps: Int
    public var lookupLearningRate: Double
    /// The IM-RM's training (beta is its beta).
    public var implicitTraining: HamiltonianRewardTraining
    /// The EX-RM's own training: its steps, learning rate and schedule (beta unused).
    public var explicitTraining: HamiltonianRewardTraining
    /// How the policy is sampled before and after training (on the test graphs).
    public var generation: HamiltonianCyclesGeneration.Options
    /// The one seed every random choice of a run derives from (the first of `seedCount` seeds).
    public var seed: UInt64
    /// Independent runs on seeds `seed`, `seed + 1`, ...: figures are reported as mean and sd over them.
    public var seedCount: Int

    /// `backbone`'s context length is replaced by the task's (`contextLength(for:promptFormat:)`).
    public init(task: HamiltonianCyclesConfig, promptFormat: HamiltonianCyclesVocabulary.PromptFormat = .sorted,
                validationCount: Int = 0, backbone: BackboneRecipe, lookupSteps: Int = 0, lookupLearningRate: Double = 3e-3,
                implicitTraining: HamiltonianRewardTraining,
                explicitTraining: HamiltonianRewardTraining, generation: HamiltonianCyclesGeneration.Options,
                seed: UInt64, seedCount: Int = 1)
    {
        self.task = task
        self.promptFormat = promptFormat
        self.validationCount = validationCount
        self.backbone = backbone
        self.backbone.contextLength = Self.contextLength(for: task, promptFormat: promptFormat)
        self.lookupSteps = lookupSteps
        self.lookupLearningRate = lookupLearningRate
        self.implicitTraining = implicitTraining
        self.explicitTraining = explicitTraining
        self.generation = generation
        self.seed = seed
        self.seedCount = seedCount
    }

    /// The config of one of the runs: seed `seed + index`, one seed.
    public func singleRun(_ index: Int) -> HamiltonianExperimentConfig {
        precondition(index >= 0 && index < seedCount, "run \(index) of \(seedCount)")
        var single = self
        single.seed = seed &+ UInt64(index)
        single.seedCount = 1
        return single
    }

    /// The seeds of the runs, in order: `seed`, `seed + 1`, ... (distinct, as UInt64 wraps only after 2^64).
    public var seeds: [UInt64] { (0..<seedCount).map { seed &+ UInt64($0) } }

    /// The default run, scaled down from the paper so three seeds take a few CPU-minutes in a release
    /// build. Every choice below was made on the validation graphs of exploration seeds 100 and 101
    /// (notes/hamiltonian-exploration.md), never on test graphs:
    /// - N = 6 (a random permutation is a cycle with probability about 1/40), p = 0.2 as in the paper;
    ///   4352 training graphs, 256 of them carved off for validation, 128 test graphs (more graphs
    ///   generalize better: 2048 let the IM-RM memorize its pairs).
    /// - The prompt lists each edge in both directions (an adjacency list: every neighbour of a vertex
    ///   sits right after an occurrence of it), so checking "y_t y_{t+1} is an edge" is one lookup.
    /// - A d = 32, 2-layer, 4-head model, in float32 (parameters and Adam in float64).
    /// - 1500 steps of generic in-context lookup pretraining (`KeyValueLookupTask`) at Adam 3e-3: the
    ///   stand-in for the lookup circuits of a pretrained LM (validation 0.73 -> 0.86 alone), then 400
    ///   format steps of 32 graphs at Adam 3e-3 (1e-2 undid much of the lookup stage).
    /// - IM-RM: 1600 steps of 32 pairs at Adam 3e-3 with 5% warmup and cosine decay, beta = 1 (0.1 needs
    ///   larger log-ratio moves for the same margin, and verified worse).
    /// - EX-RM: its own 400 steps at Adam 1e-3, warmup + cosine (the rate that lowered its training loss
    ///   most; 3e-3 and 1e-2 left it at ln 2).
    /// - 4 samples per test graph; 3 seeds.
    public static let standard = HamiltonianExperimentConfig(
        task: HamiltonianCyclesConfig(vertexCount: 6, edgeProbability: 0.2, trainCount: 4352, testCount: 128),
        promptFormat: .bothDirections, validationCount: 256,
        backbone: formatTrained(width: 32, layers: 2, heads: 4, steps: 400, batchSize: 32, learningRate: 3e-3,
                                precision: .float32),
        lookupSteps: 1500, lookupLearningRate: 3e-3,
        implicitTraining: HamiltonianRewardTraining(steps: 1600, batchSize: 32, beta: 1,
                                                    adam: AdamConfiguration(learningRate: 3e-3),
                                                    schedule: .warmupCosine(warmupFraction: defaultWarmupFraction, floor: 0)),
        explicitTraining: HamiltonianRewardTraining(steps: 400, batchSize: 32, beta: 1,
                                                    adam: AdamConfiguration(learningRate: 1e-3),
                                                    schedule: .warmupCosine(warmupFraction: defaultWarmupFraction, floor: 0)),
        generation: HamiltonianCyclesGeneration.Options(samplesPerGraph: 4),
        seed: 0, seedCount: 3)

    /// The paper's graphs (Sec. 3.2: N = 10, p = 0.2, 1000 train / 200 test, 100 of the training graphs
    /// carved off for validation) with the default's model and training, which were not tuned at this
    /// size: prompts of about 100 tokens listing both directions, and a random permutation is a cycle
    /// with probability about 1e-4.
    public static let paper: HamiltonianExperimentConfig = {
        var config = standard
        config.task = .paper
        config.validationCount = 100
        return config
    }()

    /// The warmup of a cosine schedule when none is given: 5% of the steps.
    public static let defaultWarmupFraction = 0.05

    /// A few steps on a handful of N = 5 graphs with a d = 8 model: for tests in debug builds.
    public static let quick = HamiltonianExperimentConfig(
        task: HamiltonianCyclesConfig(vertexCount: 5, edgeProbability: 0.2, trainCount: 12, testCount: 6),
        backbone: formatTrained(width: 8, layers: 1, heads: 2, steps: 4, batchSize: 4, learningRate: 3e-3),
        implicitTraining: HamiltonianRewardTraining(steps: 4, batchSize: 4, beta: 0.1),
        explicitTraining: HamiltonianRewardTraining(steps: 4, batchSize: 4, beta: 0.1),
        generation: HamiltonianCyclesGeneration.Options(samplesPerGraph: 2),
        seed: 0)

    /// A backbone of the given shape whose pretraining is `steps` format steps of `batchSize` graphs at
    /// Adam `learningRate` (its context is set from the task by the initializer).
    public static func formatTrained(width: Int, layers: Int, heads: Int, steps: Int, batchSize: Int,
                                     learningRate: Double, precision: Precision = .float64) -> BackboneRecipe
    {
        var recipe = BackboneRecipe(width: width, layers: layers, heads: heads, contextLength: 2,
                                    pretraining: PretrainingConfiguration(steps: steps, batchSize: batchSize,
                                                                          adam: AdamConfiguration(learningRate: learningRate)))
        recipe.precision = precision
        return recipe
    }

    /// The longest sequence any graph of `task` can make: the complete graph's prompt (3 tokens per
    /// listed edge) plus N + 1 answer tokens. The context is sized to it so no graph is ever rejected.
    public static func contextLength(for task: HamiltonianCyclesConfig,
                                     promptFormat: HamiltonianCyclesVocabulary.PromptFormat = .sorted) -> Int
    {
        let vocabulary = HamiltonianCyclesVocabulary(vertexCount: max(task.vertexCount, 1), promptFormat: promptFormat)
        return vocabulary.longestPrompt + task.vertexCount + 1
    }

    /// The task's tokens in this run's prompt format.
    public var vocabulary: HamiltonianCyclesVocabulary {
        HamiltonianCyclesVocabulary(vertexCount: task.vertexCount, promptFormat: promptFormat)
    }

    public var modelConfiguration: TinyLMConfiguration {
        backbone.modelConfiguration(vocabularySize: vocabulary.size)
    }

    /// Throws the first problem, as a sentence that says what to change.
    public func validate() throws {
        try task.validate()
        try modelConfiguration.validate()
        let longest = Self.contextLength(for: task, promptFormat: promptFormat)
        try backbone.checkContext(holds: longest, what: "the longest sequence of an N = \(task.vertexCount) graph (\(longest) tokens)")
        do {
            try implicitTraining.validate()
        } catch let error as ConfigurationError {
            throw ConfigurationError("the IM-RM's training: \(error.message)")
        }
        do {
            try explicitTraining.validate()
        } catch let error as ConfigurationError {
            throw ConfigurationError("the EX-RM's training: \(error.message)")
        }
        if validationCount < 0 || validationCount >= task.trainCount {
            throw ConfigurationError(
                "the validation set (\(validationCount) graphs) is carved from the \(task.trainCount) training graphs; use 0 ..< \(task.trainCount)")
        }
        if seedCount < 1 { throw ConfigurationError("run at least one seed, got \(seedCount)") }
        if lookupSteps < 0 { throw ConfigurationError("the lookup pretraining has \(lookupSteps) steps; use 0 or more") }
        if !(lookupLearningRate > 0 && lookupLearningRate.isFinite) {
            throw ConfigurationError("the lookup pretraining's learning rate is \(lookupLearningRate); it must be positive")
        }
        do {
            try backbone.pretraining.validate()
        } catch let error as ConfigurationError {
            throw ConfigurationError("pi_ref's format training (the backbone's pretraining): \(error.message)")
        }
        if generation.samplesPerGraph < 1 {
            throw ConfigurationError("samples per graph must be at least 1, got \(generation.samplesPerGraph)")
        }
        if !(generation.temperature > 0 && generation.temperature.isFinite) {
            throw ConfigurationError("the sampling temperature must be positive, got \(generation.temperature)")
        }
    }

    private enum CodingKeys: String, CodingKey {
        case task, promptFormat, validationCount, lookupSteps, lookupLearningRate, referenceSteps, referenceBatchSize, referenceLearningRate
        case implicitTraining = "im_rm_training"
        case explicitTraining = "ex_rm_training"
        case generation, seed, seedCount
    }

    /// The backbone's shape and precision stand flat beside the rest, its format training as the three
    /// `reference_*` fields (the context follows from the task).
    public func encode(to encoder: Encoder) throws {
        try backbone.encodeFlat(to: encoder, omitting: [.contextLength, .pretraining])
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(task, forKey: .task)
        try container.encode(promptFormat, forKey: .promptFormat)
        try container.encode(validationCount, forKey: .validationCount)
        try container.encode(lookupSteps, forKey: .lookupSteps)
        try container.encode(lookupLearningRate, forKey: .lookupLearningRate)
        try container.encode(backbone.pretraining.steps, forKey: .referenceSteps)
        try container.encode(backbone.pretraining.batchSize, forKey: .referenceBatchSize)
        try container.encode(backbone.pretraining.adam.learningRate, forKey: .referenceLearningRate)
        try container.encode(implicitTraining, forKey: .implicitTraining)
        try container.encode(explicitTraining, forKey: .explicitTraining)
        try container.encode(generation, forKey: .generation)
        try container.encode(seed, forKey: .seed)
        try container.encode(seedCount, forKey: .seedCount)
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let format = Self.formatTrained(
            width: 0, layers: 0, heads: 0, steps: try container.decode(Int.self, forKey: .referenceSteps),
            batchSize: try container.decode(Int.self, forKey: .referenceBatchSize),
            learningRate: try container.decode(Double.self, forKey: .referenceLearningRate))
        self.init(task: try container.decode(HamiltonianCyclesConfig.self, forKey: .task),
                  promptFormat: try container.decode(HamiltonianCyclesVocabulary.PromptFormat.self, forKey: .promptFormat),
                  validationCount: try container.decode(Int.self, forKey: .validationCount),
                  backbone: try BackboneRecipe(flatFrom: decoder, defaults: format),
                  lookupSteps: try container.decode(Int.self, forKey: .lookupSteps),
                  lookupLearningRate: try container.decode(Double.self, forKey: .lookupLearningRate),
                  implicitTraining: try container.decode(HamiltonianRewardTraining.self, forKey: .implicitTraining),
                  explicitTraining: try container.decode(HamiltonianRewardTraining.self, forKey: .explicitTraining),
                  generation: try container.decode(HamiltonianCyclesGeneration.Options.self, forKey: .generation),
                  seed: try container.decode(UInt64.self, forKey: .seed),
                  seedCount: try container.decode(Int.self, forKey: .seedCount))
    }
}

/// The figures of one trained reward model.
public struct HamiltonianRewardModelOutcome: Sendable, Equatable, Codable {
    public let trainBefore: PairMetrics
    public let testBefore: PairMetrics
    public let train: PairMetrics
    /// On the validation graphs (nil without a validation split): the figure settings are chosen on.
    public let validation: PairMetrics?
    public let test: PairMetrics
    /// On the test graphs that are not also training graphs (nil when every test graph is one): small N
    /// repeats graphs, and a repeated graph can be ranked from memory.
    public let testUnseen: PairMetrics?
    /// Mean Bradley-Terry batch loss over each tenth of the steps (fewer entries with fewer than 10 steps).
    public let lossByTenth: [Double]
    /// The IM-RM only: its policy's sampled answers on the test graphs before (pi = pi_ref) and after
    /// training, and the exact probability pi(C | x) it gives the valid cycles, averaged over test graphs.
    public let generationBefore: HamiltonianCyclesGeneration.Result?
    public let generationAfter: HamiltonianCyclesGeneration.Result?
    public let validMassBefore: Double?
    public let validMassAfter: Double?

    enum CodingKeys: String, CodingKey {
        case trainAccuracy
        case validationAccuracy
        case testAccuracy
        case testUnseenAccuracy
        case trainBefore
        case testBefore
        case train, validation, test, testUnseen
        case lossByTenth
        case generationValidFraction
        case generationBefore
        case generationAfter
        case validMass = "valid_probability_mass"
    }

    struct BeforeAfter: Codable {
        let before: Double
        let after: Double
    }

    public init(trainBefore: PairMetrics, testBefore: PairMetrics, train: PairMetrics, validation: PairMetrics?,
                test: PairMetrics, testUnseen: PairMetrics?, lossByTenth: [Double],
                generationBefore: HamiltonianCyclesGeneration.Result?, generationAfter: HamiltonianCyclesGeneration.Result?,
                validMassBefore: Double?, validMassAfter: Double?)
    {
        self.trainBefore = trainBefore
        self.testBefore = testBefore
        self.train = train
        self.validation = validation
        self.test = test
        self.testUnseen = testUnseen
        self.lossByTenth = lossByTenth
        self.generationBefore = generationBefore
        self.generationAfter = generationAfter
        self.validMassBefore = validMassBefore
        self.validMassAfter = validMassAfter
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        trainBefore = try container.decode(PairMetrics.self, forKey: .trainBefore)
        testBefore = try container.decode(PairMetrics.self, forKey: .testBefore)
        train = try container.decode(PairMetrics.self, forKey: .train)
        validation = try container.decodeIfPresent(PairMetrics.self, forKey: .validation)
        test = try container.decode(PairMetrics.self, forKey: .test)
        testUnseen = try container.decodeIfPresent(PairMetrics.self, forKey: .testUnseen)
        lossByTenth = try container.decode([Double].self, forKey: .lossByTenth)
        generationBefore = try container.decodeIfPresent(HamiltonianCyclesGeneration.Result.self, forKey: .generationBefore)
        generationAfter = try container.decodeIfPresent(HamiltonianCyclesGeneration.Result.self, forKey: .generationAfter)
        let mass = try container.decodeIfPresent(BeforeAfter.self, forKey: .validMass)
        validMassBefore = mass?.before
        validMassAfter = mass?.after
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeFigure(train.accuracy, forKey: .trainAccuracy)
        try container.encodeFigure(validation?.accuracy, forKey: .validationAccuracy)
        try container.encodeFigure(test.accuracy, forKey: .testAccuracy)
        try container.encodeFigure(testUnseen?.accuracy, forKey: .testUnseenAccuracy)
        try container.encode(trainBefore, forKey: .trainBefore)
        try container.encode(testBefore, forKey: .testBefore)
        try container.encode(train, forKey: .train)
        try container.encodeIfPresent(validation, forKey: .validation)
        try container.encode(test, forKey: .test)
        try container.encodeIfPresent(testUnseen, forKey: .testUnseen)
        try container.encode(lossByTenth, forKey: .lossByTenth)
        if let generationBefore, let generationAfter {
            try container.encode(BeforeAfter(before: generationBefore.validFraction, after: generationAfter.validFraction),
                                 forKey: .generationValidFraction)
            try container.encode(generationBefore, forKey: .generationBefore)
            try container.encode(generationAfter, forKey: .generationAfter)
        }
        if let validMassBefore, let validMassAfter {
            try container.encode(BeforeAfter(before: validMassBefore, after: validMassAfter), forKey: .validMass)
        }
    }
}

/// Everything one run of the experiment measured.
public struct HamiltonianExperimentResult: Sendable, Equatable, Codable {
    public let config: HamiltonianExperimentConfig
    /// The lookup pretraining's loss -ln pi(answer | prompt), mean over each tenth (empty without it).
    public let lookupLossByTenth: [Double]
    /// Graphs each reward model trained on, and validation graphs carved from the training graphs
    /// (`HamiltonianCyclesValidationSplit`), and training graphs dropped for repeating a validation graph.
    public let trainGraphCount: Int
    public let validationGraphCount: Int
    public let droppedTrainGraphs: Int
    /// Test graphs that are also training graphs (small N repeats graphs; `testUnseen` leaves them out).
    public let testGraphsSeenInTraining: Int
    /// The supervised loss -ln pi_ref(y | x) on random permutations, mean over each tenth of the steps;
    /// ln N! is the floor, reached by a model that answers uniformly random permutations.
    public let referenceLossByTenth: [Double]
    /// Exact chance figures on the test graphs (see `HamiltonianCyclesGeneration`).
    public let randomPermutationChance: Double
    public let uniformTokenChance: Double
    public let implicitReward: HamiltonianRewardModelOutcome
    public let explicitReward: HamiltonianRewardModelOutcome

    /// The paper's figures (Sec. 3.2, Pythia-1B IM-RM, N = 10, p = 0.2).
    public static let paperTestAccuracy = 0.993
    public static let paperGenerationValidFraction = 0.0

    enum CodingKeys: String, CodingKey {
        case config
        case lookupLossByTenth
        case trainGraphCount = "train_graphs"
        case validationGraphCount = "validation_graphs"
        case droppedTrainGraphs = "dropped_train_graphs"
        case testGraphsSeenInTraining = "test_graphs_seen_in_training"
        case referenceLossByTenth
        case randomPermutationChance
        case uniformTokenChance
        case implicitReward = "im_rm"
        case explicitReward = "ex_rm"
    }
}

/// Runs the experiment. A value: build it from a config, then `run`.
public struct HamiltonianExperiment: Sendable {
    public let config: HamiltonianExperimentConfig

    public init(_ config: HamiltonianExperimentConfig) throws {
        try config.validate()
        self.config = config
    }

    /// A stage of the run, for progress display.
    public enum Stage: String, Sendable {
        case lookup = "lookup pretraining"
        case reference = "reference (format)"
        case implicitReward = "IM-RM"
        case explicitReward = "EX-RM"
    }

    /// The preference pairs of a set of examples, in the task's token encoding.
    public static func pairs(_ examples: [HamiltonianCyclesExample], vocabulary: HamiltonianCyclesVocabulary)
        -> [TokenPreferencePair]
    {
        examples.map { example in
            TokenPreferencePair(prompt: vocabulary.encodePrompt(example.instance.graph),
                                chosen: vocabulary.encodeResponse(example.instance.plantedCycle),
                                rejected: vocabulary.encodeResponse(example.rejected))
        }
    }

    /// The mean over `graphs` of pi(C | x), the exact probability that `model` answers a valid cycle,
    /// summed over every valid permutation (nil when a graph has too many to list).
    public static func validProbabilityMass(of model: TinyLM, graphs: [UndirectedGraph],
                                            vocabulary: HamiltonianCyclesVocabulary) throws -> Double?
    {
        var prompts: [[Int]] = []
        var responses: [[Int]] = []
        var owners: [Int] = []
        for (index, graph) in graphs.enumerated() {
            guard let cycles = graph.hamiltonianCyclePermutations(limit: 20_000) else { return nil }
            let prompt = vocabulary.encodePrompt(graph)
            for cycle in cycles {
                prompts.append(prompt)
                responses.append(vocabulary.encodeResponse(cycle))
                owners.append(index)
            }
        }
        let logProbabilities = try model.responseLogProbabilities(prompts: prompts, responses: responses)
        var mass = [Double](repeating: 0, count: graphs.count)
        for (owner, logProbability) in zip(owners, logProbabilities) { mass[owner] += exp(logProbability) }
        return mass.reduce(0, +) / Double(graphs.count)
    }

    /// The means of `values` over ten consecutive, nearly equal segments (one per value when fewer than 10).
    public static func meansByTenth(_ values: [Double]) -> [Double] {
        let segments = min(10, values.count)
        return (0..<segments).map { segment in
            let range = (segment * values.count / segments)..<((segment + 1) * values.count / segments)
            return values[range].reduce(0, +) / Double(range.count)
        }
    }

    /// One supervised step of `model` on -ln pi(answer | prompt) over the batch; returns the loss before
    /// the update. Throws `DivergenceError` (named `label`) when the loss or a parameter after the update
    /// is not finite.
    static func answerStep(_ model: inout TinyLM, prompts: [[Int]], answers: [[Int]], optimizer: inout Adam,
                           label: String, step: Int) throws -> Double
    {
        let batch = try TokenBatch(zip(prompts, answers).map { $0 + $1 }, responseStarts: prompts.map(\.count))
        let loss = try model.trainResponseLikelihood(on: batch, optimizer: &optimizer)
        let cause = DivergenceError.Cause.learningRateTooLarge(optimizer.configuration.learningRate)
        try DivergenceError.check(loss, .loss, model: label, step: step, cause: cause)
        try model.parameters.checkFinite(model: label, step: step + 1, cause: cause)
        return loss
    }

    /// The name in a `DivergenceError` of the lookup pretraining.
    public static let lookupLabel = "in-context lookup pretraining"

    /// The name in a `DivergenceError` of the format training of pi_ref.
    public static let referenceLabel = "pi_ref (format training)"

    /// Runs every seed of the config (`seeds`) in turn, each as `run(threads:progress:)` on its own
    /// `singleRun` config, and summarizes them. `progress` gets the seed's index first.
    public func runSeeds(threads: Int = 2, progress: @escaping (Int, Stage, Int, Int) -> Void = { _, _, _, _ in })
        throws -> HamiltonianSeedsResult
    {
        var runs: [HamiltonianExperimentResult] = []
        for index in 0..<config.seedCount {
            let single = try HamiltonianExperiment(config.singleRun(index))
            runs.append(try single.run(threads: threads) { stage, done, total in progress(index, stage, done, total) })
        }
        return HamiltonianSeedsResult(config: config, runs: runs)
    }

    /// Runs the experiment for the one seed `config.seed` (`seedCount` is not read) on up to `threads`
    /// threads: the format training of pi_ref with its steps spread
    /// over them (`TinyLM.threads`), then the IM-RM and the EX-RM side by side, one thread each, then the
    /// IM-RM policy's samples and valid-cycle mass with its batches spread over them. Every part has its
    /// own seeded stream, so the result is the same bit for bit for any thread count. Throws
    /// `DivergenceError` when pi_ref's training, either reward model's training or sampling diverges.
    /// `progress` is called with (stage, steps done, steps in all), one call at a time.
    public func run(threads: Int = 2, progress: @escaping (Stage, Int, Int) -> Void = { _, _, _ in }) throws
        -> HamiltonianExperimentResult
    {
        precondition(threads >= 1, "threads must be at least 1, got \(threads)")
        BLASThreads.useSingleThread()  // small products: one BLAS thread each, our own threads instead
        let report = SerializedProgress(progress)
        // Independent streams, one per random part, so changing one part's size leaves the others alone.
        var seeds = SeededGenerator(seed: config.seed)
        var dataGenerator = SeededGenerator(seed: seeds.next())
        let initializationSeed = seeds.next()
        var referenceGenerator = SeededGenerator(seed: seeds.next())
        let implicitSeed = seeds.next()
        let explicitSeed = seeds.next()
        let generationBeforeSeed = seeds.next()
        let generationAfterSeed = seeds.next()
        var lookupGenerator = SeededGenerator(seed: seeds.next())

        let dataset = try HamiltonianCyclesDataset.generate(config.task, using: &dataGenerator)
        let split = try HamiltonianCyclesValidationSplit(dataset, validationCount: config.validationCount)
        let vocabulary = config.vocabulary
        let trainPairs = Self.pairs(split.train, vocabulary: vocabulary)
        let validationPairs = Self.pairs(split.validation, vocabulary: vocabulary)
        let testPairs = Self.pairs(dataset.test, vocabulary: vocabulary)
        let trainGraphs = Set(split.train.map(\.graph))
        let unseenTestPairs = Self.pairs(dataset.test.filter { !trainGraphs.contains($0.graph) }, vocabulary: vocabulary)
        let testGraphs = dataset.test.map(\.instance.graph)

        // Optionally first the generic lookup stage, then pi_ref: the answer format, learnt from uniformly
        // random permutations.
        var reference = try TinyLM(configuration: config.modelConfiguration, seed: initializationSeed)
        reference.threads = threads
        var lookupLosses: [Double] = []
        let lookupTask = KeyValueLookupTask(vocabulary: vocabulary)
        let format = config.backbone.pretraining
        var lookupAdam = Adam(AdamConfiguration(learningRate: config.lookupLearningRate))
        for step in 0..<config.lookupSteps {
            let samples = (0..<format.batchSize).map { _ in lookupTask.sample(using: &lookupGenerator) }
            lookupLosses.append(try Self.answerStep(&reference, prompts: samples.map(\.prompt), answers: samples.map(\.answer),
                                                    optimizer: &lookupAdam, label: Self.lookupLabel, step: step))
            report(.lookup, step + 1, config.lookupSteps)
        }
        var referenceLosses: [Double] = []
        var adam = Adam(format.adam)
        for step in 0..<format.steps {
            let graphs = (0..<format.batchSize).map { _ in
                split.train[Int.random(in: 0..<split.train.count, using: &referenceGenerator)].instance.graph
            }
            let prompts = graphs.map(vocabulary.encodePrompt)
            let answers = graphs.map { _ in
                vocabulary.encodeResponse(Array(0..<config.task.vertexCount).shuffled(using: &referenceGenerator))
            }
            referenceLosses.append(try Self.answerStep(&reference, prompts: prompts, answers: answers, optimizer: &adam,
                                                       label: Self.referenceLabel, step: step))
            report(.reference, step + 1, format.steps)
        }
        reference.parameters.unfreezeAll()
        // The two reward models train side by side, so each on one thread (all of them when alone).
        reference.threads = threads >= 2 ? 1 : threads

        // Both reward models start from pi_ref; the IM-RM keeps a frozen copy of it as its reference.
        let pretrainedReference = reference
        @Sendable func outcome(_ type: RewardModelKind, stage: Stage, seed: UInt64) throws
            -> (HamiltonianRewardModelOutcome, TinyLMRewardModel)
        {
            let reference = pretrainedReference
            let training = type == .implicit ? config.implicitTraining : config.explicitTraining
            let initial = try TinyLMRewardModel(backbone: reference, configuration: training.modelConfiguration(type))
            let trainBefore = try initial.metrics(on: trainPairs)
            let testBefore = try initial.metrics(on: testPairs)
            var trainer = try RewardModelTrainer(model: initial, pairs: trainPairs,
                                                 configuration: training.trainerConfiguration(seed: seed))
            var losses: [Double] = []
            losses.reserveCapacity(training.steps)
            for step in 0..<training.steps {
                trainer.learningRateScale = training.learningRateScale(step: step)
                losses.append(try trainer.step())
                report(stage, step + 1, training.steps)
            }
            let model = trainer.model
            return (HamiltonianRewardModelOutcome(
                trainBefore: trainBefore, testBefore: testBefore, train: try model.metrics(on: trainPairs),
                validation: validationPairs.isEmpty ? nil : try model.metrics(on: validationPairs),
                test: try model.metrics(on: testPairs),
                testUnseen: unseenTestPairs.isEmpty ? nil : try model.metrics(on: unseenTestPairs),
                lossByTenth: Self.meansByTenth(losses),
                generationBefore: nil, generationAfter: nil,
                validMassBefore: nil, validMassAfter: nil), model)
        }

        let trained = try parallelMap(count: 2, threads: min(threads, 2)) { index in
            index == 0 ? try outcome(.implicit, stage: .implicitReward, seed: implicitSeed)
                : try outcome(.explicit, stage: .explicitReward, seed: explicitSeed)
        }
        let (implicitTrained, explicitOutcome) = (trained[0].0, trained[1].0)
        // The policy before and after, sampled and summed over the valid cycles: batches side by side.
        var policyBefore = pretrainedReference
        var policyAfter = trained[0].1.backbone
        policyBefore.threads = threads
        policyAfter.threads = threads
        var generationBeforeGenerator = SeededGenerator(seed: generationBeforeSeed)
        var generationAfterGenerator = SeededGenerator(seed: generationAfterSeed)
        let generationBefore = try HamiltonianCyclesGeneration.evaluate(
            model: policyBefore, graphs: testGraphs, vocabulary: vocabulary, options: config.generation,
            using: &generationBeforeGenerator)
        let generationAfter = try HamiltonianCyclesGeneration.evaluate(
            model: policyAfter, graphs: testGraphs, vocabulary: vocabulary, options: config.generation,
            using: &generationAfterGenerator)
        let implicitOutcome = HamiltonianRewardModelOutcome(
            trainBefore: implicitTrained.trainBefore, testBefore: implicitTrained.testBefore, train: implicitTrained.train,
            validation: implicitTrained.validation, test: implicitTrained.test, testUnseen: implicitTrained.testUnseen,
            lossByTenth: implicitTrained.lossByTenth,
            generationBefore: generationBefore, generationAfter: generationAfter,
            validMassBefore: try Self.validProbabilityMass(of: policyBefore, graphs: testGraphs, vocabulary: vocabulary),
            validMassAfter: try Self.validProbabilityMass(of: policyAfter, graphs: testGraphs, vocabulary: vocabulary))

        return HamiltonianExperimentResult(
            config: config, lookupLossByTenth: Self.meansByTenth(lookupLosses), trainGraphCount: split.train.count, validationGraphCount: split.validation.count,
            droppedTrainGraphs: split.droppedDuplicates,
            testGraphsSeenInTraining: dataset.test.count - unseenTestPairs.count, referenceLossByTenth: Self.meansByTenth(referenceLosses),
            randomPermutationChance: HamiltonianCyclesGeneration.randomPermutationChance(testGraphs),
            uniformTokenChance: HamiltonianCyclesGeneration.uniformTokenChance(testGraphs),
            implicitReward: implicitOutcome, explicitReward: explicitOutcome)
    }
}

/// A progress callback made safe to call from several threads: one call at a time.
private final class SerializedProgress: @unchecked Sendable {
    private let progress: (HamiltonianExperiment.Stage, Int, Int) -> Void
    private let lock = NSLock()

    init(_ progress: @escaping (HamiltonianExperiment.Stage, Int, Int) -> Void) {
        self.progress = progress
    }

    func callAsFunction(_ stage: HamiltonianExperiment.Stage, _ done: Int, _ total: Int) {
        lock.lock()
        defer { lock.unlock() }
        progress(stage, done, total)
    }
}
