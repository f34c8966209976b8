import ExperimentReports
import ArgumentParser
import Foundation
import TheorycheckCore
import Experiments
import Reports
import TinyLM

/// `theorycheck mechanism`: where the change happens when every parameter of a small language model
/// trains (docs/theory.md §7): each step's first-order change of every set's margin split by mechanism,
/// and the lazy (frozen initial kernel) prediction of the outcome.
struct MechanismCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mechanism",
        abstract: "Split each tiny-LM training step by mechanism (token identity, competition, backbone) and predict the outcome from the initial tangent kernel.",
        discussion: """
            The setting of `dynamics --model tiny-lm`: Persona pairs through a small pretrained transformer, an \
            EX-RM and an IM-RM trained by full-batch gradient descent with every parameter training. At every \
            step the first-order (tangent-kernel) change of each evaluation set's mean margin is split into \
            exact parts: for the IM-RM, token identity and softmax competition through the unembedding (Eq. 5) \
            and the backbone's same-token, cross-token and competition terms; for the EX-RM, the head and the \
            backbone. The parts are computed by vector-Jacobian products and sum to the tangent-kernel \
            prediction, which is compared with the actual change. Separately, the tangent kernel at step 0 \
            drives the lazy (linearized) prediction of every reward, whose accuracies are compared with the \
            trained models' at log-spaced steps, beside how far the kernel has moved.
            """)

    @Option(help: "Full-batch gradient-descent steps (0 to \(MechanismConfiguration.maximumSteps)).")
    var steps = MechanismConfiguration().steps

    @Option(help: "Learning rate of the EX-RM, head and backbone alike (above 0, at most \(Int(Self.maximumLearningRate))); the IM-RM's is lr / beta unless --im-lr is given.")
    var lr = MechanismConfiguration().learningRate

    @Option(name: .customLong("im-lr"), help: "Learning rate of the IM-RM (above 0, at most \(Int(Self.maximumLearningRate))); default lr / beta.")
    var imLR: Double?

    @Option(help: "Implicit reward beta (above 0, at most 10).")
    var beta = MechanismConfiguration().beta

    @Option(help: "Seed of the pretraining corpus, the backbone and the statement split (0 to \(UInt32.max)).")
    var seed: Int = 0

    @Option(help: "How many seeds to run, --seed and the ones after it (1 to \(DynamicsCommand.maximumSeeds)); each pretrains its own backbone on its own corpus and draws its own statements. Figures are mean ± sd over them.")
    var seeds = 3

    @Option(help: "Comma-separated reward models: ex_rm, ex_rm_mean, im_rm, im_rm_noref.")
    var models = MechanismConfiguration().rewardModels.map(\.rawValue).joined(separator: ",")

    @Option(help: "Reward models trained at once, one thread each (1 to 8; results do not depend on it).")
    var threads = MechanismConfiguration().threads

    @Flag(name: .customLong("readout-only"), help: "Freeze everything but the read-out (Assumption 1): every backbone part is then 0.")
    var readoutOnly = false

    @Flag(help: .hidden)
    var quick = false

    @OptionGroup var output: OutputOptions

    /// A learning rate above this diverges at these sizes; the bound keeps a typo from running for minutes.
    static let maximumLearningRate = 100.0

    var rewardModels: [RewardModelKind] {
        models.split(separator: ",").compactMap { RewardModelKind(rawValue: $0.trimmingCharacters(in: .whitespaces)) }
    }

    func validate() throws {
        guard (0...MechanismConfiguration.maximumSteps).contains(steps) else {
            throw ValidationError("--steps must be between 0 and \(MechanismConfiguration.maximumSteps), got \(steps)")
        }
        guard lr > 0, lr <= Self.maximumLearningRate else {
            throw ValidationError("--lr must be above 0 and at most \(NumberFormat.significant(Self.maximumLearningRate, digits: 3)), got \(lr)")
        }
        if let imLR, !(imLR > 0 && imLR <= Self.maximumLearningRate) {
            throw ValidationError("--im-lr must be above 0 and at most \(NumberFormat.significant(Self.maximumLearningRate, digits: 3)), got \(imLR)")
        }
        guard beta > 0, beta <= 10 else { throw ValidationError("--beta must be above 0 and at most 10, got \(beta)") }
        guard seed >= 0, seed <= Int(UInt32.max) else {
            throw ValidationError("--seed must be between 0 and \(UInt32.max), got \(seed)")
        }
        try OptionBounds.require(seeds, in: 1...DynamicsCommand.maximumSeeds, "seeds")
        guard (1...8).contains(threads) else { throw ValidationError("--threads must be between 1 and 8, got \(threads)") }
        let names = models.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let allowed: [RewardModelKind] = [.explicit, .explicitMeanPooled, .implicit, .implicitWithoutReference]
        for name in names where !allowed.map(\.rawValue).contains(name) {
            throw ValidationError("--models lists \"\(name)\"; choose from \(allowed.map(\.rawValue).joined(separator: ", ")) (the EX-GRM is not trained on the Bradley-Terry loss)")
        }
        guard !names.isEmpty else { throw ValidationError("--models must name at least one reward model, e.g. ex_rm,im_rm") }
        guard Set(names).count == names.count else { throw ValidationError("--models lists a reward model twice: \(models)") }
    }

    var experimentConfiguration: MechanismConfiguration {
        var c = quick ? MechanismConfiguration.quick : MechanismConfiguration()
        c.steps = steps
        c.learningRate = lr
        c.implicitLearningRate = imLR
        c.beta = beta
        c.seed = UInt64(seed)
        c.rewardModels = rewardModels
        c.threads = threads
        c.readoutOnly = readoutOnly
        return c
    }

    func run() throws {
        let progress = ProgressLine("mechanism", quiet: output.quiet)
        let results: [MechanismResult]
        do {
            let configuration = experimentConfiguration
            let experiment = try MechanismExperiment(configuration: configuration, grammar: try Grammar.agreeableness())
            results = try experiment.run(seeds: try configuration.setting.consecutiveSeeds(seeds), progress: progress.lineSink)
        } catch let error as ConfigurationError {
            throw CLIError(error.message)
        }
        try emit(MechanismReport(results: results), output)
    }
}
