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
    public func run(progress: (@Sendable (String) -> Void)? = nil) throws -> PersonaResult {
        BLASThreads.useSingleThread()  // small products: one BLAS thread each, parallel runs instead
        let seeds = configuration.seeds
        let outcomes = try parallelMap(count: seeds.count, threads: configuration.threads) { index in
            try runSeed(seeds[index], progress: progress)
        }
        let dataset = try PersonaDataset(grammar: grammar, trainStatements: configuration.trainStatements,
                                         testStatements: configuration.testStatements,
                                         pairsPerStatement: configuration.pairsPerStatement, seed: seeds[0])
        var counts = ["training_pairs": dataset.train.count]
        for set in dataset.evaluationSets { counts[set.name] = set.pairs.count }
        return PersonaResult(configuration: configuration, pretraining: outcomes.map(\.0),
                             runs: outcomes.flatMap(\.1), pairCounts: counts)
    }

    /// Pretraining, data and every reward model for one seed.
    public func runSeed(_ seed: UInt64, progress: (@Sendable (String) -> Void)? = nil) throws
        -> (PretrainingSummary, [PersonaRun])
    {
        let dataset = try PersonaDataset(grammar: grammar, trainStatements: configuration.trainStatements,
                                         testStatements: configuration.testStatements,
                                         pairsPerStatement: configuration.pairsPerStatement, seed: seed)
        try Self.checkContext(configuration, dataset)
        var pretrainingConfiguration = configuration.pretraining
        pretrainingConfiguration.seed = seed
        let corpus = try PretrainingCorpus(grammar: grammar, configuration: pretrainingConfiguration)
        let initial = try TinyLM(configuration: configuration.modelConfiguration(vocabularySize: corpus.tokenizer.count),
                                 seed: seed)
        let pretrained = try Pretraining.run(model: initial, corpus: corpus, configuration: pretrainingConfiguration)
        progress?("seed \(seed): pretrained, held-out loss \(pretrained.heldOutLossBefore) -> \(pretrained.heldOutLossAfter)")
        let summary = PretrainingSummary(seed: seed, heldOutLossBefore: pretrained.heldOutLossBefore,
                                         heldOutLossAfter: pretrained.heldOutLossAfter,
                                         vocabularySize: corpus.tokenizer.count)
        let stepsPerEpoch = (dataset.train.count + configuration.batchSize - 1) / configuration.batchSize
        let totalSteps = configuration.epochs * stepsPerEpoch
        let checkpoints = Set(StepSchedule.oneTwoFive.steps(upTo: totalSteps))
        var runs: [PersonaRun] = []
        for type in configuration.rewardModels {
            let model = try TinyLMRewardModel(
                backbone: pretrained.model,
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
            runs.append(PersonaRun(seed: seed, type: type, checkpoints: recorded, losses: losses))
            let final = recorded.last!.sets
            progress?("seed \(seed): \(type.rawValue) accuracy train \(final["train"]!.accuracy), paraphrase \(final["paraphrase"]!.accuracy)")
        }
        return (summary, runs)
    }
}
