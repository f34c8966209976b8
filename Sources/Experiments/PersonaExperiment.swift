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

    /// One seed's Persona pairs, checked against the context length.
    public func dataset(seed: UInt64) throws -> PersonaDataset {
        let dataset = try PersonaDataset(grammar: grammar, trainStatements: configuration.trainStatements,
                                         testStatements: configuration.testStatements,
                                         pairsPerStatement: configuration.pairsPerStatement, seed: seed)
        try dataset.checkFits(configuration.backbone)
        return dataset
    }

    /// Training pairs and evaluation pairs per set (the same for every seed).
    static func pairCounts(_ dataset: PersonaDataset) -> [String: Int] {
        var counts = ["training_pairs": dataset.train.count]
        for set in dataset.evaluationSets { counts[set.name] = set.pairs.count }
        return counts
    }

    /// Runs every seed; `progress` is called (from any thread) with a line when a run finishes.
    ///
    /// The work is one pretraining per seed, then one training per (seed, reward model), all queued on
    /// `configuration.threads` threads (`parallelFanOut`): a reward model starts as soon as its seed's
    /// backbone is pretrained, so an odd number of seeds does not leave a core idle. With a single seed
    /// and several threads the threads go inside each step instead (`TinyLM.threads`).
    public func run(progress: (@Sendable (String) -> Void)? = nil) throws -> PersonaResult {
        BLASThreads.useSingleThread()  // small products: one BLAS thread each, our own threads instead
        let seeds = configuration.seeds
        let types = configuration.rewardModels
        // Inside a step only when there is nothing else to run beside it.
        let stepThreads = seeds.count == 1 ? configuration.threads : 1
        let outcomes = try parallelFanOut(
            count: seeds.count, fanOut: types.count, threads: seeds.count == 1 ? 1 : configuration.threads,
            first: { index in try pretrain(seeds[index], threads: stepThreads, progress: progress) },
            second: { _, branch, seed in try trainRewardModel(types[branch], on: seed, progress: progress) })
        return PersonaResult(configuration: configuration, pretraining: outcomes.map(\.first.summary),
                             runs: outcomes.flatMap(\.second), pairCounts: Self.pairCounts(try dataset(seed: seeds[0])))
    }

    /// One seed's data and pretrained backbone: what its reward models start from.
    public struct PretrainedSeed: Sendable {
        public let seed: UInt64
        public let dataset: PersonaDataset
        public let backbone: TinyLM
        public let summary: PretrainingSummary
    }

    /// The seed's data split and its backbone pretrained on the grammar (steps on `threads` threads).
    public func pretrain(_ seed: UInt64, threads: Int = 1, progress: (@Sendable (String) -> Void)? = nil) throws
        -> PretrainedSeed
    {
        let dataset = try dataset(seed: seed)
        let (pretrained, summary) = try pretrain(seed: seed, threads: threads)
        progress?("seed \(seed): pretrained, held-out loss \(pretrained.heldOutLossBefore) -> \(pretrained.heldOutLossAfter)")
        return PretrainedSeed(seed: seed, dataset: dataset, backbone: pretrained.model, summary: summary)
    }

    /// One reward model of `type` trained on the seed's pairs from its pretrained backbone (on the
    /// backbone's threads), evaluated on the four sets at the log-spaced checkpoints.
    public func trainRewardModel(_ type: RewardModelKind, on pretrained: PretrainedSeed,
                                 progress: (@Sendable (String) -> Void)? = nil) throws -> PersonaRun
    {
        let totalSteps = configuration.epochs * stepsPerEpoch(pretrained.dataset)
        let run = try trainRewardModel(type, backbone: pretrained.backbone, dataset: pretrained.dataset,
                                       seed: pretrained.seed, totalSteps: totalSteps,
                                       checkpoints: Set(StepSchedule.oneTwoFive.steps(upTo: totalSteps)))
        let final = run.final
        progress?("seed \(pretrained.seed): \(type.rawValue) accuracy train \(final["train"]!.accuracy), paraphrase \(final["paraphrase"]!.accuracy)")
        return run
    }

    /// Pretrains seed `seed`'s backbone for `configuration.backbone.pretraining.steps` steps, from the seed's
    /// initialization on the seed's corpus, keeping a copy after each of `snapshotsAt` steps.
    public func pretrain(seed: UInt64, snapshotsAt snapshotSteps: [Int] = [], threads: Int = 1) throws
        -> (result: PretrainingResult, summary: PretrainingSummary)
    {
        let (pretrained, vocabularySize) = try configuration.backbone.pretrain(on: grammar, seed: seed, threads: threads,
                                                                              snapshotsAt: snapshotSteps)
        let summary = PretrainingSummary(seed: seed, pretrained, vocabularySize: vocabularySize)
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

    /// Pretraining, data and every reward model for one seed, in turn on the calling thread.
    public func runSeed(_ seed: UInt64, progress: (@Sendable (String) -> Void)? = nil) throws
        -> (PretrainingSummary, [PersonaRun])
    {
        let pretrained = try pretrain(seed, threads: 1, progress: progress)
        return (pretrained.summary, try configuration.rewardModels.map {
            try trainRewardModel($0, on: pretrained, progress: progress)
        })
    }
}
