import Foundation
import LinearAlgebra
import RewardDynamics
import TheorycheckCore
import TinyLM

/// The Persona experiment at laptop scale: per seed, pretrain a `TinyLM` on the agreeableness grammar,
/// build the Persona pairs, then train each reward model on the same pretrained backbone with Adam and
/// evaluate it on the four sets at a log-spaced grid of steps.
///
/// Nothing is cached on disk. Seeds run in parallel (`threads`), each on its own thread; every seed's
/// numbers depend only on its seed, so the result is the same for any thread count.
public struct PersonaExperiment: Sendable {
    public let configuration: PersonaConfiguration
    public let grammar: Grammar

    public init(configuration: PersonaConfiguration, grammar: Grammar) throws {
        try configuration.validate()
        self.configuration = configuration
        self.grammar = grammar
        // Build seed 0's data once now, so a context too short for the templates fails before any work.
        _ = try dataset(seed: 0)
    }

    static func checkContext(_ configuration: PersonaConfiguration, _ dataset: PersonaDataset) throws {
        let needed = dataset.longestSequence
        if configuration.contextLength < needed {
            throw ConfigurationError(
                "context length \(configuration.contextLength) is shorter than the longest Persona sequence (\(needed) tokens: prompt, template, answer and the EX-GRM's question); use a context of at least \(needed)")
        }
    }

    /// One seed's Persona pairs, checked against the context length.
    public func dataset(seed: UInt64) throws -> PersonaDataset {
        let dataset = try PersonaDataset(grammar: grammar, trainStatements: configuration.trainStatements,
                                         testStatements: configuration.testStatements,
                                         pairsPerStatement: configuration.pairsPerStatement, seed: seed)
        try Self.checkContext(configuration, dataset)
        return dataset
    }

    /// Training pairs and evaluation pairs per set (the same for every seed).
    static func pairCounts(_ dataset: PersonaDataset) -> [String: Int] {
        var counts = ["training_pairs": dataset.train.count]
        for set in dataset.evaluationSets { counts[set.name] = set.pairs.count }
        return counts
    }

    /// Runs every seed; `progress` is called (from any thread) with a line when a run finishes.
    public func run(progress: (@Sendable (String) -> Void)? = nil) throws -> PersonaResult {
        BLASThreads.useSingleThread()  // small products: one BLAS thread each, parallel runs instead
        let seeds = configuration.seeds
        let outcomes = try parallelMap(count: seeds.count, threads: configuration.threads) { index in
            try runSeed(seeds[index], progress: progress)
        }
        return PersonaResult(configuration: configuration, pretraining: outcomes.map(\.0),
                             runs: outcomes.flatMap(\.1), pairCounts: Self.pairCounts(try dataset(seed: seeds[0])))
    }

    /// Pretrains seed `seed`'s backbone for `configuration.pretraining.steps` steps, from the seed's
    /// initialization on the seed's corpus, keeping a copy after each of `snapshotsAt` steps.
    public func pretrain(seed: UInt64, snapshotsAt snapshotSteps: [Int] = []) throws
        -> (result: PretrainingResult, summary: PretrainingSummary)
    {
        var pretrainingConfiguration = configuration.pretraining
        pretrainingConfiguration.seed = seed
        let corpus = try PretrainingCorpus(grammar: grammar, configuration: pretrainingConfiguration)
        let initial = try TinyLM(configuration: configuration.modelConfiguration(vocabularySize: corpus.tokenizer.count),
                                 seed: seed)
        let pretrained = try Pretraining.run(model: initial, corpus: corpus, configuration: pretrainingConfiguration,
                                             snapshotsAt: snapshotSteps)
        let summary = PretrainingSummary(seed: seed, heldOutLossBefore: pretrained.heldOutLossBefore,
                                         heldOutLossAfter: pretrained.heldOutLossAfter,
                                         vocabularySize: corpus.tokenizer.count)
        return (pretrained, summary)
    }

    /// Adam steps per pass over the training pairs.
    public func stepsPerEpoch(_ dataset: PersonaDataset) -> Int {
        (dataset.train.count + configuration.batchSize - 1) / configuration.batchSize
    }

    /// Trains one reward model of `type` on `backbone` for `totalSteps` Adam steps (the configuration's
    /// learning rate, batch size, beta and read-out setting; pair order seeded by `seed`) and evaluates it
    /// on the four sets at step 0 and at each step of `checkpoints`, where `inspect` (if given) also sees
    /// the step and the model.
    public func trainRewardModel(_ type: RewardModelKind, backbone: TinyLM, dataset: PersonaDataset, seed: UInt64,
                                 totalSteps: Int, checkpoints: Set<Int>,
                                 inspect: ((Int, TinyLMRewardModel) throws -> Void)? = nil) throws -> PersonaRun
    {
        let model = try TinyLMRewardModel(
            backbone: backbone,
            configuration: RewardModelConfiguration(type: type, beta: configuration.beta,
                                                    readoutOnly: configuration.readoutOnly,
                                                    verifier: dataset.verifier))
        var trainer = try RewardModelTrainer(
            model: model, pairs: dataset.train,
            configuration: RewardTrainingConfiguration(
                optimizer: .adam(AdamConfiguration(learningRate: configuration.learningRate)),
                batchSize: configuration.batchSize, seed: seed))
        var recorded: [PersonaCheckpoint] = []
        var losses: [Double] = []
        losses.reserveCapacity(totalSteps)
        func evaluate(_ step: Int) throws {
            var sets: [String: PairMetrics] = [:]
            for set in dataset.evaluationSets { sets[set.name] = try trainer.model.metrics(on: set.pairs) }
            recorded.append(PersonaCheckpoint(step: step, sets: sets))
            try inspect?(step, trainer.model)
        }
        try evaluate(0)
        for step in stride(from: 1, through: totalSteps, by: 1) {
            losses.append(try trainer.step())
            if checkpoints.contains(step) { try evaluate(step) }
        }
        return PersonaRun(seed: seed, type: type, checkpoints: recorded, losses: losses)
    }

    /// Pretraining, data and every reward model for one seed.
    public func runSeed(_ seed: UInt64, progress: (@Sendable (String) -> Void)? = nil) throws
        -> (PretrainingSummary, [PersonaRun])
    {
        let dataset = try dataset(seed: seed)
        let (pretrained, summary) = try pretrain(seed: seed)
        progress?("seed \(seed): pretrained, held-out loss \(pretrained.heldOutLossBefore) -> \(pretrained.heldOutLossAfter)")
        let totalSteps = configuration.epochs * stepsPerEpoch(dataset)
        let checkpoints = Set(StepSchedule.oneTwoFive.steps(upTo: totalSteps))
        var runs: [PersonaRun] = []
        for type in configuration.rewardModels {
            let run = try trainRewardModel(type, backbone: pretrained.model, dataset: dataset, seed: seed,
                                           totalSteps: totalSteps, checkpoints: checkpoints)
            runs.append(run)
            let final = run.final
            progress?("seed \(seed): \(type.rawValue) accuracy train \(final["train"]!.accuracy), paraphrase \(final["paraphrase"]!.accuracy)")
        }
        return (summary, runs)
    }
}
