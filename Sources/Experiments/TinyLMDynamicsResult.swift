import RewardDynamics
import TheorycheckCore
import TinyLM

/// The two first-order predictions' agreement with the actual reward changes at one step.
public struct StepAgreement: Codable, Equatable, Sendable {
    public let step: Int
    public let assumption1: PredictionAgreement
    public let ntk: PredictionAgreement
}

/// Predicted and actual changes of every evaluation reward at one step, for the scatter plots.
public struct ChangeSample: Codable, Equatable, Sendable {
    public let step: Int
    public let assumption1: [Double]
    public let ntk: [Double]
    public let actual: [Double]
}

/// One reward model's run.
public struct TinyLMDynamicsRun: Codable, Equatable, Sendable {
    public let type: RewardModelKind
    public let learningRate: Double
    /// Metrics per evaluation set at the checkpoint steps (0, 1, 10, 100, ..., last).
    public let checkpoints: [PersonaCheckpoint]
    /// Per step t = 1...steps: how well each prediction matched the change made by step t.
    public let trajectory: [StepAgreement]
    /// The median over steps of the per-step correlation and relative error (`PredictionAgreement.median`).
    public let assumption1: PredictionAgreement
    public let ntk: PredictionAgreement
    /// The changes at a few steps (1, 10, 100, last).
    public let samples: [ChangeSample]
    public let losses: [Double]
}

/// What `TinyLMDynamicsExperiment` produced.
public struct TinyLMDynamicsResult: Codable, Equatable, Sendable {
    public let configuration: TinyLMDynamicsConfiguration
    public let pretraining: PretrainingSummary
    public let runs: [TinyLMDynamicsRun]
    /// Number of distinct evaluation sequences whose rewards are tracked.
    public let evaluationSequences: Int

    /// The `prediction` object of the `--json` output: rm type -> {assumption1, ntk}.
    public var prediction: [String: [String: PredictionAgreement]] {
        Dictionary(uniqueKeysWithValues: runs.map { ($0.type.rawValue, ["assumption1": $0.assumption1, "ntk": $0.ntk]) })
    }
}
