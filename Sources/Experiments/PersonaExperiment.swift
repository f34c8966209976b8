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
        let dataset = try PersonaDataset(grammar: grammar, trainStatements: configuration.trainStatements,
                                          testStatements: configuration.testStatements,
                                          pairsPerStatement: configuration.pairsPerStatement, seed: 0)
        try Self.checkContext(configuration, dataset)
    }

    static func checkContext(_ configuration: PersonaConfiguration, _ dataset: PersonaDataset) throws {
        let needed = dataset.longestSequence
        if configuration.contextLength < needed {
            throw ConfigurationError(
                "context length \(configuration.contextLength) is shorter than the longest Persona sequence (\(needed) tokens: prompt, template, answer and the EX-GRM's question); use a context of at least \(needed)")
        }
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
        let dataset = try PersonaDataset(grammar: grammar, trainStatements: configuration.trainStatements,
                                         testStatements: configuration.testStatements,
                                         pairsPerStatement: configuration.pairsPerStatement, seed: seeds[0])
        var counts = ["training_pairs": dataset.train.count]
        for set in dataset.evaluationSets { counts[set.name] = set.pairs.count }
        return PersonaResult(configuration: configuration, pretraining: outcomes.map(\.first.summary),
                             runs: outcomes.flatMap(\.second), pairCounts: counts)
    }

    /// Pretraining, data and every reward model for one seed, in order on the calling thread.
    public func runSeed(_ seed: UInt64, progress: (@Sendable (String) -> Void)? = nil) throws
        -> (PretrainingSummary, [PersonaRun])
    {
        let pretrained = try pretrain(seed, threads: 1, progress: progress)
        return (pretrained.summary, try configuration.rewardModels.map {
            try trainRewardModel($0, on: pretrained, progress: progress)
        })
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
        let dataset = try PersonaDataset(grammar: grammar, trainStatements: configuration.trainStatements,
                                         testStatements: configuration.testStatements,
                                         pairsPerStatement: configuration.pairsPerStatement, seed: seed)
        try Self.checkContext(configuration, dataset)
        var pretrainingConfiguration = configuration.pretraining
        pretrainingConfiguration.seed = seed
        let corpus = try PretrainingCorpus(grammar: grammar, configuration: pretrainingConfiguration)
        var initial = try TinyLM(configuration: configuration.modelConfiguration(vocabularySize: corpus.tokenizer.count),
                                 seed: seed)
        initial.threads = threads
        let pretrained = try Pretraining.run(model: initial, corpus: corpus, configuration: pretrainingConfiguration)
        progress?("seed \(seed): pretrained, held-out loss \(pretrained.heldOutLossBefore) -> \(pretrained.heldOutLossAfter)")
        let summary = PretrainingSummary(seed: seed, heldOutLossBefore: pretrained.heldOutLossBefore,
                                         heldOutLossAfter: pretrained.heldOutLossAfter,
                                         vocabularySize: corpus.tokenizer.count)
        return PretrainedSeed(seed: seed, dataset: dataset, backbone: pretrained.model, summary: summary)
    }

    /// One reward model of `type` trained on the seed's pairs from its pretrained backbone (on the
    /// backbone's threads), evaluated on the four sets at the log-spaced checkpoints.
    public func trainRewardModel(_ type: RewardModelKind, on pretrained: PretrainedSeed,
                                 progress: (@Sendable (String) -> Void)? = nil) throws -> PersonaRun
    {
        let seed = pretrained.seed
        let dataset = pretrained.dataset
        let stepsPerEpoch = (dataset.train.count + configuration.batchSize - 1) / configuration.batchSize
        let totalSteps = configuration.epochs * stepsPerEpoch
        let checkpoints = Set(StepSchedule.oneTwoFive.steps(upTo: totalSteps))
        let model = try TinyLMRewardModel(
            backbone: pretrained.backbone,
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
        func evaluate(_ step: Int) throws {
            var sets: [String: PairMetrics] = [:]
            for set in dataset.evaluationSets { sets[set.name] = try trainer.model.metrics(on: set.pairs) }
            recorded.append(PersonaCheckpoint(step: step, sets: sets))
        }
        try evaluate(0)
        for step in stride(from: 1, through: totalSteps, by: 1) {
            losses.append(try trainer.step())
            if checkpoints.contains(step) { try evaluate(step) }
        }
        let final = recorded.last!.sets
        progress?("seed \(seed): \(type.rawValue) accuracy train \(final["train"]!.accuracy), paraphrase \(final["paraphrase"]!.accuracy)")
        return PersonaRun(seed: seed, type: type, checkpoints: recorded, losses: losses)
    }
}
