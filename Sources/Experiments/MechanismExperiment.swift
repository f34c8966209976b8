import Foundation
import TheorycheckCore
import LinearAlgebra
import RewardDynamics
import TinyLM

/// `theorycheck mechanism`: where the change really happens when every parameter of a small language
/// model trains (docs/theory.md §7).
///
/// The setting of `dynamics --model tiny-lm`: Persona data through a small pretrained backbone, each
/// reward model trained by full-batch gradient descent. At every step, the first-order change of every
/// evaluation set's mean margin is split by mechanism (`MechanismDecomposition`: token identity,
/// competition, and the backbone's same-token, cross-token and competition terms for the IM-RM; head and
/// backbone for the EX-RM), and compared with the actual change. Separately, the tangent kernel at step 0
/// drives the lazy prediction (`LazyKernelPrediction`) of every reward at the checkpoint steps, and the
/// kernel is recomputed there to measure how far it has moved.
public struct MechanismExperiment: Sendable {
    public let configuration: MechanismConfiguration
    public let grammar: Grammar

    public init(configuration: MechanismConfiguration, grammar: Grammar) throws {
        try configuration.validate()
        self.configuration = configuration
        self.grammar = grammar
    }

    public func run(progress: (@Sendable (String) -> Void)? = nil) throws -> MechanismResult {
        try run(seeds: [configuration.seed], progress: progress)[0]
    }

    /// One result per seed of `seeds` (each pretrains its own backbone on its own corpus and splits its own
    /// statements), in order; every (seed, reward model) run is queued on `configuration.threads` threads.
    /// The configuration's own seed is replaced by each of them.
    public func run(seeds: [UInt64], progress: (@Sendable (String) -> Void)? = nil) throws -> [MechanismResult] {
        BLASThreads.useSingleThread()  // small products: one BLAS thread each, parallel runs instead
        let grammar = self.grammar
        let perSeed = try configuration.setting.runSeeds(seeds, grammar: grammar, progress: progress) {
            setting, model, backbone, dataset in
            let seed = setting.seed
            let labelled: (@Sendable (String) -> Void)? = progress.map { line in
                seeds.count > 1 ? { @Sendable text in line("seed \(seed): \(text)") } : line
            }
            return try MechanismExperiment(configuration: MechanismConfiguration(setting: setting), grammar: grammar)
                .runModel(model, backbone: backbone, dataset: dataset, progress: labelled)
        }
        return perSeed.map { seed in
            MechanismResult(
                configuration: MechanismConfiguration(setting: seed.setting), pretraining: seed.pretraining,
                runs: seed.runs,
                pairCounts: Dictionary(uniqueKeysWithValues: seed.dataset.evaluationSets.map { ($0.name, $0.pairs.count) }),
                sharedTokens: Self.sharedTokens(seed.dataset))
        }
    }

    /// Per set, the response words that are also training targets (sorted).
    static func sharedTokens(_ dataset: PersonaDataset) -> [String: [String]] {
        let targets = Set(dataset.train.flatMap { $0.chosen + $0.rejected })
        var result: [String: [String]] = [:]
        for set in dataset.evaluationSets {
            let tokens = Set(set.pairs.flatMap { $0.chosen + $0.rejected }).intersection(targets)
            result[set.name] = tokens.map { dataset.tokenizer.decode([$0]) }.sorted()
        }
        return result
    }

    /// One reward model's run from the pretrained backbone.
    public func runModel(_ type: RewardModelKind, backbone: TinyLM, dataset: PersonaDataset,
                         progress: (@Sendable (String) -> Void)? = nil) throws -> MechanismRun
    {
        let c = configuration
        let tracked = TrackedSequences(dataset: dataset)
        let items = tracked.items
        let learningRate = c.learningRate(for: type)
        let model = try TinyLMRewardModel(
            backbone: backbone, configuration: RewardModelConfiguration(type: type, beta: c.beta, readoutOnly: c.readoutOnly))
        var trainer = try RewardModelTrainer(
            model: model, pairs: dataset.train,
            configuration: RewardTrainingConfiguration(optimizer: .sgd(learningRate: learningRate), seed: c.seed))
        let setWeights = tracked.sets.map {
            (name: $0.name, weights: MechanismDecomposition.marginWeights(pairs: $0.pairs, itemCount: items.count))
        }

        let checkpointSteps = MechanismConfiguration.checkpointSteps(total: c.steps)
        var rewards = try trainer.model.rewards(items)
        let initialRewards = rewards
        let initialKernel = try TangentKernel(model: trainer.model, items: items)
        let lazyRewards = LazyKernelPrediction(kernel: initialKernel.full, initialRewards: initialRewards,
                                               trainPairs: tracked.trainPairs, learningRate: learningRate)
            .rewards(at: checkpointSteps)
        let evaluationPairs = tracked.sets.flatMap(\.pairs)
        let initialPairKernel = initialKernel.pairKernel(rows: evaluationPairs, columns: tracked.trainPairs)

        var steps: [MechanismStep] = []
        var checkpoints: [MechanismCheckpoint] = []
        var losses: [Double] = []
        var cumulative = Dictionary(uniqueKeysWithValues: tracked.sets.map { ($0.name, MechanismBreakdown.zero(type)) })
        var cumulativeFirstOrder = cumulative
        var beyondFirstOrder = Dictionary(uniqueKeysWithValues: tracked.sets.map { ($0.name, 0.0) })
        var stepsBeyondFirstOrder = 0
        for step in 0...c.steps {
            if let index = checkpointSteps.firstIndex(of: step) {
                let kernel = step == 0 ? initialKernel : try TangentKernel(model: trainer.model, items: items)
                checkpoints.append(checkpoint(
                    step: step, tracked: tracked, rewards: rewards, initialRewards: initialRewards,
                    lazyRewards: lazyRewards[index], drift: drift(kernel, initial: initialPairKernel, tracked: tracked),
                    cumulative: cumulative, cumulativeFirstOrder: cumulativeFirstOrder, beyondFirstOrder: beyondFirstOrder,
                    stepsBeyondFirstOrder: stepsBeyondFirstOrder, setWeights: setWeights))
                progress?("\(type.rawValue): step \(step) of \(c.steps)")
            }
            if step == c.steps { break }
            let decomposition = try MechanismDecomposition(model: trainer.model, items: items, trainPairs: tracked.trainPairs,
                                                           rewards: rewards, learningRate: learningRate)
            var predicted: [String: MechanismBreakdown] = [:]
            for set in setWeights { predicted[set.name] = try decomposition.decompose(weights: set.weights) }
            losses.append(try trainer.step())
            let after = try trainer.model.rewards(items)
            var actual: [String: Double] = [:]
            for set in setWeights {
                actual[set.name] = Self.weightedSum(set.weights, zip(after, rewards).map { $0 - $1 })
                cumulative[set.name] = cumulative[set.name]! + predicted[set.name]!
            }
            let record = MechanismStep(step: step + 1, predicted: predicted, actual: actual)
            for set in setWeights {
                if record.isFirstOrder {
                    cumulativeFirstOrder[set.name] = cumulativeFirstOrder[set.name]! + predicted[set.name]!
                } else {
                    beyondFirstOrder[set.name]! += actual[set.name]!
                }
            }
            if !record.isFirstOrder { stepsBeyondFirstOrder += 1 }
            steps.append(record)
            rewards = after
        }
        return MechanismRun(type: type, learningRate: learningRate, steps: steps, checkpoints: checkpoints,
                            firstOrder: PredictionAgreement.median(of: steps.map(\.agreement)), losses: losses)
    }

    private func checkpoint(step: Int, tracked: TrackedSequences, rewards: [Double], initialRewards: [Double],
                            lazyRewards: [Double], drift: KernelDrift, cumulative: [String: MechanismBreakdown],
                            cumulativeFirstOrder: [String: MechanismBreakdown], beyondFirstOrder: [String: Double],
                            stepsBeyondFirstOrder: Int, setWeights: [(name: String, weights: [Double])]) -> MechanismCheckpoint
    {
        var actual: [String: PairMetrics] = [:]
        var lazy: [String: PairMetrics] = [:]
        for set in tracked.sets {
            actual[set.name] = PairMetrics(rewards: rewards, pairs: set.pairs)
            lazy[set.name] = PairMetrics(rewards: lazyRewards, pairs: set.pairs)
        }
        var marginChange: [String: Double] = [:]
        for set in setWeights {
            marginChange[set.name] = Self.weightedSum(set.weights, zip(rewards, initialRewards).map { $0 - $1 })
        }
        // Margins, not rewards: a change common to a pair's two responses moves neither the loss nor the
        // ranking (an IM-RM's rewards carry such common-mode second-order terms).
        let pairs = tracked.sets.flatMap(\.pairs)
        func margins(_ values: [Double]) -> [Double] { pairs.map { values[$0.chosen] - values[$0.rejected] } }
        let moved = zip(margins(rewards), margins(initialRewards)).map { $0 - $1 }
        let error = zip(margins(lazyRewards), margins(rewards)).map { $0 - $1 }
        let movedNorm = BLAS.norm(moved)
        let lazyRelativeError = movedNorm > 0 ? BLAS.norm(error) / movedNorm : 0
        return MechanismCheckpoint(step: step, actual: actual, lazy: lazy, lazyRelativeError: lazyRelativeError,
                                   kernelDrift: drift, cumulative: cumulative, cumulativeFirstOrder: cumulativeFirstOrder,
                                   marginChange: marginChange, marginChangeBeyondFirstOrder: beyondFirstOrder,
                                   stepsBeyondFirstOrder: stepsBeyondFirstOrder)
    }

    private func drift(_ kernel: TangentKernel, initial: Matrix, tracked: TrackedSequences) -> KernelDrift {
        let evaluationPairs = tracked.sets.flatMap(\.pairs)
        let current = kernel.pairKernel(rows: evaluationPairs, columns: tracked.trainPairs)
        func relative(rows: Range<Int>) -> Double {
            var difference = 0.0
            var reference = 0.0
            for row in rows {
                for column in 0..<current.columns {
                    let d = current[row, column] - initial[row, column]
                    difference += d * d
                    reference += initial[row, column] * initial[row, column]
                }
            }
            return reference > 0 ? (difference / reference).squareRoot() : (difference > 0 ? .infinity : 0)
        }
        var sets: [String: Double] = [:]
        var start = 0
        for set in tracked.sets {
            sets[set.name] = relative(rows: start..<(start + set.pairs.count))
            start += set.pairs.count
        }
        let backbone = kernel.pairKernel(rows: tracked.trainPairs, columns: tracked.trainPairs, part: \.backbone)
        let full = kernel.pairKernel(rows: tracked.trainPairs, columns: tracked.trainPairs)
        let backboneTrace = (0..<backbone.rows).reduce(0) { $0 + backbone[$1, $1] }
        let fullTrace = (0..<full.rows).reduce(0) { $0 + full[$1, $1] }
        let currentNorm = BLAS.norm(current.elements)
        let initialNorm = BLAS.norm(initial.elements)
        var shape = 0.0
        if currentNorm > 0 && initialNorm > 0 {
            let difference = zip(current.elements, initial.elements).map { $0 / currentNorm - $1 / initialNorm }
            shape = BLAS.norm(difference)
        }
        return KernelDrift(overall: relative(rows: 0..<current.rows), sets: sets,
                           scale: initialNorm > 0 ? currentNorm / initialNorm : .nan, shape: shape,
                           backboneShare: fullTrace > 0 ? backboneTrace / fullTrace : 0)
    }

    static func weightedSum(_ weights: [Double], _ values: [Double]) -> Double {
        var total = 0.0
        for index in weights.indices where weights[index] != 0 { total += weights[index] * values[index] }
        return total
    }
}
