import Foundation
import LinearAlgebra
import RewardDynamics
import Tasks
import TheorycheckCore
import TinyLM

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

    /// Runs every seed of the config (`seeds`), each as `run(threads:progress:)` on its own `singleRun`
    /// config, and summarizes them. With several threads and seeds, the seeds run side by side, one
    /// thread each (inside a run the second thread is idle most of the time: the EX-RM's 400 steps
    /// beside the IM-RM's 1600 or more); a run's figures do not depend on its thread count, so neither
    /// do these. `progress` gets the seed's index first, one call at a time.
    public func runSeeds(threads: Int = 2, progress: @escaping (Int, Stage, Int, Int) -> Void = { _, _, _, _ in })
        throws -> HamiltonianSeedsResult
    {
        precondition(threads >= 1, "threads must be at least 1, got \(threads)")
        let side = min(threads, config.seedCount)
        let report = SerializedSeedProgress(progress)
        let config = self.config
        let runs = try parallelMap(count: config.seedCount, threads: side) { index in
            let single = try HamiltonianExperiment(config.singleRun(index))
            return try single.run(threads: side > 1 ? 1 : threads) { stage, done, total in
                report(index, stage, done, total)
            }
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

/// `runSeeds`'s progress callback made safe to call from the seeds' threads: one call at a time.
private final class SerializedSeedProgress: @unchecked Sendable {
    private let progress: (Int, HamiltonianExperiment.Stage, Int, Int) -> Void
    private let lock = NSLock()

    init(_ progress: @escaping (Int, HamiltonianExperiment.Stage, Int, Int) -> Void) {
        self.progress = progress
    }

    func callAsFunction(_ seed: Int, _ stage: HamiltonianExperiment.Stage, _ done: Int, _ total: Int) {
        lock.lock()
        defer { lock.unlock() }
        progress(seed, stage, done, total)
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
