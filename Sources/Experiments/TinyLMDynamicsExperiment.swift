import Foundation
import LinearAlgebra
import RewardDynamics
import TheorycheckCore
import TinyLM

/// `theorycheck dynamics --model tiny-lm`: the Persona data through a small pretrained backbone; each
/// reward model trained by full-batch gradient descent for `steps` steps, and at every step the actual
/// change of every evaluation reward compared with two first-order predictions:
///
/// - Assumption 1: the closed form from the current representations (`AssumptionOnePrediction`; for the
///   EX-GRM, <grad_W r, Delta W> through the tape, since its loss is not Bradley-Terry);
/// - the empirical neural tangent kernel over all trainable parameters: <grad_theta r(s), Delta theta>,
///   with one reverse sweep per evaluation sequence. For gradient descent Delta theta = -eta grad L =
///   (eta / n) sum_i s_i (grad r(y_i+) - grad r(y_i-)), so this is docs/theory.md's NTK form exactly.
///
/// Both are first order: the NTK prediction's error is O(eta^2) per step whatever trains; the
/// Assumption-1 prediction also misses the backbone's share, unless the backbone is frozen.
public struct TinyLMDynamicsExperiment: Sendable {
    public let configuration: TinyLMDynamicsConfiguration
    public let grammar: Grammar

    public init(configuration: TinyLMDynamicsConfiguration, grammar: Grammar) throws {
        try configuration.validate()
        self.configuration = configuration
        self.grammar = grammar
    }

    public func run(progress: (@Sendable (String) -> Void)? = nil) throws -> TinyLMDynamicsResult {
        try run(seeds: [configuration.seed], progress: progress)[0]
    }

    /// One result per seed of `seeds` (each pretrains its own backbone on its own corpus and splits its own
    /// statements), in order; every (seed, reward model) run is queued on `configuration.threads` threads.
    /// The configuration's own seed is replaced by each of them.
    public func run(seeds: [UInt64], progress: (@Sendable (String) -> Void)? = nil) throws -> [TinyLMDynamicsResult] {
        BLASThreads.useSingleThread()  // small products: one BLAS thread each, parallel runs instead
        let grammar = self.grammar
        let perSeed = try configuration.setting.runSeeds(seeds, grammar: grammar, progress: progress) {
            setting, model, backbone, dataset in
            try TinyLMDynamicsExperiment(configuration: TinyLMDynamicsConfiguration(setting: setting), grammar: grammar)
                .runModel(model, backbone: backbone, dataset: dataset)
        }
        return perSeed.map { seed in
            TinyLMDynamicsResult(
                configuration: TinyLMDynamicsConfiguration(setting: seed.setting), pretraining: seed.pretraining,
                runs: seed.runs, evaluationSequences: TrackedSequences(dataset: seed.dataset).items.count)
        }
    }

    /// One reward model's run from the pretrained backbone.
    public func runModel(_ type: RewardModelKind, backbone: TinyLM, dataset: PersonaDataset) throws -> TinyLMDynamicsRun {
        let c = configuration
        let tracked = TrackedSequences(dataset: dataset)
        let learningRate = c.learningRate(for: type)
        let model = try TinyLMRewardModel(
            backbone: backbone,
            configuration: RewardModelConfiguration(type: type, beta: c.beta, readoutOnly: c.readoutOnly,
                                                    verifier: dataset.verifier))
        var trainer = try RewardModelTrainer(
            model: model, pairs: dataset.train,
            configuration: RewardTrainingConfiguration(optimizer: .sgd(learningRate: learningRate), seed: c.seed))
        let checkpointSteps = Set(StepSchedule.decades.steps(upTo: c.steps))
        let sampleSteps = Set([1, 10, 100, c.steps])
        var checkpoints: [PersonaCheckpoint] = []
        var trajectory: [StepAgreement] = []
        var samples: [ChangeSample] = []
        var losses: [Double] = []

        var rewards = try trainer.model.rewards(tracked.items)
        try DivergenceError.check(rewards, .reward, model: type.rawValue, step: 0, cause: .modelNotFinite)
        for step in 0...c.steps {
            if checkpointSteps.contains(step) { checkpoints.append(tracked.checkpoint(step: step, rewards: rewards)) }
            if step == c.steps { break }
            let before = trainer.model
            let gradients = try tracked.items.map { try before.rewardGradient(of: $0) }
            var assumption1: [Double]?
            if type != .generativeVerifier {
                assumption1 = try AssumptionOnePrediction.predict(model: before, items: tracked.items,
                                                                  trainPairs: tracked.trainPairs, rewards: rewards,
                                                                  learningRate: learningRate)
            }
            losses.append(try trainer.step())
            let change = trainer.model.parameterChange(since: before)
            let ntk = gradients.map { $0.dot(change) }
            if assumption1 == nil {
                let readout = before.readoutNames
                assumption1 = gradients.map { $0.dot(change, where: { readout.contains($0) }) }
            }
            let after = try trainer.model.rewards(tracked.items)
            let cause = DivergenceError.Cause.learningRateTooLarge(learningRate)
            try DivergenceError.check(after, .reward, model: type.rawValue, step: step + 1, cause: cause)
            if let assumption1 {
                try DivergenceError.check(assumption1, .rewardChange, model: "\(type.rawValue) (Assumption 1)",
                                          step: step, cause: cause)
            }
            try DivergenceError.check(ntk, .rewardChange, model: "\(type.rawValue) (NTK)", step: step, cause: cause)
            let actual = zip(after, rewards).map { $0 - $1 }
            trajectory.append(StepAgreement(step: step + 1,
                                            assumption1: PredictionAgreement(predicted: assumption1!, actual: actual),
                                            ntk: PredictionAgreement(predicted: ntk, actual: actual)))
            if sampleSteps.contains(step + 1) {
                samples.append(ChangeSample(step: step + 1, assumption1: assumption1!, ntk: ntk, actual: actual))
            }
            rewards = after
        }
        return TinyLMDynamicsRun(
            type: type, learningRate: learningRate, checkpoints: checkpoints, trajectory: trajectory,
            assumption1: PredictionAgreement.median(of: trajectory.map(\.assumption1)),
            ntk: PredictionAgreement.median(of: trajectory.map(\.ntk)),
            samples: samples, losses: losses)
    }
}

/// The distinct sequences of the evaluation sets (training pairs included), each scored once per step,
/// and every set's pairs as indices into them.
struct TrackedSequences {
    let items: [PromptResponse]
    let sets: [(name: String, pairs: [IndexedPair])]
    let trainPairs: [IndexedPair]

    init(dataset: PersonaDataset) {
        var interner = SequenceInterner()
        trainPairs = interner.indexed(dataset.train)
        sets = dataset.evaluationSets.map { (name: $0.name, pairs: interner.indexed($0.pairs)) }
        items = interner.items
    }

    func checkpoint(step: Int, rewards: [Double]) -> PersonaCheckpoint {
        var metrics: [String: PairMetrics] = [:]
        for set in sets { metrics[set.name] = PairMetrics(rewards: rewards, pairs: set.pairs) }
        return PersonaCheckpoint(step: step, sets: metrics)
    }
}
