import Foundation
import LanguageModelExperiments
import Reports
import RewardDynamics
import TinyLM

/// `theorycheck dynamics --model tiny-lm` (and `tiny-lm-frozen`): the dynamics check on small language
/// models trained for real (`TinyLMDynamicsExperiment`), reusing the dynamics command's `--steps`,
/// `--lr`, `--im-lr`, `--beta`, `--seed`, `--json` and `--report`.
extension DynamicsCommand {
    /// The models `--model` accepts: every parameter trains, or only the read-out (Assumption 1); the
    /// `-quick` variants use `TinyLMDynamicsConfiguration.quick` (d = 8, 1 layer, a few pretraining
    /// steps), for smoke tests.
    static let tinyLMModels: [String: (readoutOnly: Bool, quick: Bool)] = [
        "tiny-lm": (false, false), "tiny-lm-frozen": (true, false),
        "tiny-lm-quick": (false, true), "tiny-lm-frozen-quick": (true, true),
    ]

    func runTinyLM(model: String) throws {
        guard let (readoutOnly, quick) = Self.tinyLMModels[model] else {
            throw CLIError("--model must be tiny-lm or tiny-lm-frozen (or their -quick test sizes), or be left out for fixed representations; got \(model)")
        }
        BLASThreads.useSingleThread()
        var configuration = quick ? TinyLMDynamicsConfiguration.quick : TinyLMDynamicsConfiguration()
        configuration.steps = steps
        if let lr { configuration.learningRate = lr }
        if let imLR { configuration.implicitLearningRate = imLR }
        if let beta = task.beta { configuration.beta = beta }
        if let seed = task.seed { configuration.seed = seed }
        configuration.readoutOnly = readoutOnly
        let result: TinyLMDynamicsResult
        do {
            let experiment = try TinyLMDynamicsExperiment(configuration: configuration, grammar: try Grammar.agreeableness())
            result = try experiment.run(progress: progressLinesToTerminal())
        } catch let error as TinyLMConfigurationError {
            throw CLIError(error.message)
        }
        if let path = output.report {
            try writeReport(TinyLMDynamicsReport(result: result, commandLine: regeneratingCommand()).bundle(), to: path)
        }
        if output.json {
            try printJSON(TinyLMDynamicsJSON(result))
        } else {
            print(TinyLMDynamicsReport.terminalTable(result))
        }
    }
}

/// The `--json` shape: the dynamics command's `checkpoints` (per step, rm type -> set -> metrics), plus
/// `prediction` (rm type -> {assumption1, ntk} -> {correlation, relative_error}: the median over steps
/// of the figures of each step, computed over all evaluation sequences), `trajectory` (the same per step, at the checkpoint steps), the
/// configuration and the pretraining figures.
struct TinyLMDynamicsJSON: Encodable {
    let result: TinyLMDynamicsResult

    init(_ result: TinyLMDynamicsResult) {
        self.result = result
    }

    struct DynamicKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    struct Checkpoint: Encodable {
        let step: Int
        let metrics: [String: [String: PairMetrics]]

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: DynamicKey.self)
            try container.encode(step, forKey: DynamicKey("step"))
            for (type, sets) in metrics { try container.encode(sets, forKey: DynamicKey(type)) }
        }
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: DynamicKey.self)
        try container.encode(result.prediction, forKey: DynamicKey("prediction"))
        let steps = result.runs.first?.checkpoints.map(\.step) ?? []
        let checkpoints = steps.indices.map { index in
            Checkpoint(step: steps[index], metrics: Dictionary(uniqueKeysWithValues: result.runs.map {
                ($0.type.rawValue, $0.checkpoints[index].sets)
            }))
        }
        try container.encode(checkpoints, forKey: DynamicKey("checkpoints"))
        let trajectorySteps = Set(steps)
        var trajectory: [String: [StepAgreement]] = [:]
        for run in result.runs { trajectory[run.type.rawValue] = run.trajectory.filter { trajectorySteps.contains($0.step) } }
        try container.encode(trajectory, forKey: DynamicKey("trajectory"))
        try container.encode(result.configuration, forKey: DynamicKey("configuration"))
        try container.encode(result.pretraining, forKey: DynamicKey("pretraining"))
        try container.encode(result.evaluationSequences, forKey: DynamicKey("evaluation_sequences"))
    }
}
