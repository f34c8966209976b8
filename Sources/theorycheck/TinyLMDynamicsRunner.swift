import ArgumentParser
import ExperimentReports
import Experiments
import TheorycheckCore
import TinyLM

/// What `dynamics --model` trains: every parameter, or only the read-out (Assumption 1); the `-quick`
/// variants use `TinyLMDynamicsConfiguration.quick` (d = 8, 1 layer, a few pretraining steps), for
/// smoke tests.
enum TinyLMBackboneChoice: String, CaseIterable, ExpressibleByArgument {
    case tinyLM = "tiny-lm"
    case tinyLMFrozen = "tiny-lm-frozen"
    case tinyLMQuick = "tiny-lm-quick"
    case tinyLMFrozenQuick = "tiny-lm-frozen-quick"

    var readoutOnly: Bool { self == .tinyLMFrozen || self == .tinyLMFrozenQuick }
    var quick: Bool { self == .tinyLMQuick || self == .tinyLMFrozenQuick }
}

/// `theorycheck dynamics --model tiny-lm` (and `tiny-lm-frozen`): the dynamics check on small language
/// models trained for real (`TinyLMDynamicsExperiment`), reusing the dynamics command's `--steps`,
/// `--lr`, `--im-lr`, `--beta`, `--seed`, `--json` and `--report`.
extension DynamicsCommand {
    /// Per-sequence gradients at every step make a tiny-LM step about a thousand times dearer than a
    /// fixed-representation one.
    static let maximumTinyLMSteps = 20_000

    func runTinyLM(_ model: TinyLMBackboneChoice) throws {
        try OptionBounds.require(steps, in: 0...Self.maximumTinyLMSteps, "steps",
                                 reason: "with --model every step takes a reverse sweep per evaluation sequence")
        var configuration = model.quick ? TinyLMDynamicsConfiguration.quick : TinyLMDynamicsConfiguration()
        configuration.steps = steps
        if let lr { configuration.learningRate = lr }
        if let imLR { configuration.implicitLearningRate = imLR }
        if let beta = task.beta { configuration.beta = beta }
        if let seed = task.seed { configuration.seed = seed }
        configuration.readoutOnly = model.readoutOnly
        try OptionBounds.requireDerivedFinite(
            configuration.learningRate(for: .implicit), "the IM-RM learning rate (default lr / beta)",
            change: "give --im-lr, or a larger beta")
        let progress = ProgressLine("dynamics --model \(model.rawValue)", quiet: output.quiet)
        let results: [TinyLMDynamicsResult]
        do {
            let seeds = try configuration.setting.consecutiveSeeds(self.seeds ?? Self.defaultTinyLMSeeds)
            let experiment = try TinyLMDynamicsExperiment(configuration: configuration, grammar: try Grammar.agreeableness())
            results = try experiment.run(seeds: seeds, progress: progress.lineSink)
        } catch let error as ConfigurationError {
            throw CLIError(error.message)
        }
        try emit(TinyLMDynamicsReport(results: results), output)
    }
}
