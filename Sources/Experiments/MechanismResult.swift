import TheorycheckCore
import RewardDynamics
import TinyLM

/// One step's change of every evaluation set's mean margin: predicted by part, and actual.
public struct MechanismStep: Codable, Equatable, Sendable {
    /// The change from step - 1 to step.
    public let step: Int
    /// Set name -> the parts of the first-order (tangent-kernel) change of the set's mean margin.
    public let predicted: [String: MechanismBreakdown]
    /// Set name -> the actual change of the set's mean margin.
    public let actual: [String: Double]

    /// The first-order prediction against the step over the sets (relative error 1 = predicting nothing).
    public var agreement: PredictionAgreement {
        let names = predicted.keys.sorted()
        return PredictionAgreement(predicted: names.map { predicted[$0]!.total }, actual: names.map { actual[$0]! })
    }

    /// A step is first order when the summed parts match the actual set-margin changes to 10%
    /// (relative error over the sets); beyond it the split describes a change the step did not make.
    public static let firstOrderThreshold = 0.1

    public var isFirstOrder: Bool { agreement.relativeError <= Self.firstOrderThreshold }
}

/// How far the tangent kernel has moved from its value at step 0.
public struct KernelDrift: Codable, Equatable, Sendable {
    /// ||K_t - K_0||_F / ||K_0||_F over the pair kernel K[j, i] = <grad m_j, grad m_i> of every evaluation
    /// pair j (all sets) against every training pair i.
    public let overall: Double
    /// The same over each set's rows.
    public let sets: [String: Double]
    /// ||K_t||_F / ||K_0||_F: how much the kernel grew (a pure rescaling only changes the pace).
    public let scale: Double
    /// ||K_t / ||K_t||_F - K_0 / ||K_0||_F||_F, in [0, 2]: how much its shape changed, whatever its size.
    public let shape: Double
    /// The backbone's share of the training-pair kernel's trace, tr(K_backbone) / tr(K): how much of the
    /// training margins' squared gradient norm lives outside the read-out.
    public let backboneShare: Double

    enum CodingKeys: String, CodingKey {
        case overall
        case sets
        case scale
        case shape
        case backboneShare = "backbone_share"
    }
}

/// The state at one checkpoint step: actual and lazily predicted metrics, kernel drift, and the parts
/// accumulated over every step so far.
public struct MechanismCheckpoint: Codable, Equatable, Sendable {
    public let step: Int
    /// Set name -> metrics of the trained model.
    public let actual: [String: PairMetrics]
    /// Set name -> metrics of the lazy (frozen initial kernel) prediction.
    public let lazy: [String: PairMetrics]
    /// ||m_lazy - m|| / ||m - m_0|| over every evaluation pair's margin (all sets): the lazy prediction's
    /// error relative to how far the margins have moved (0 at step 0 by definition).
    public let lazyRelativeError: Double
    public let kernelDrift: KernelDrift
    /// Set name -> the parts summed over steps 1 ... step (the first-order account of the margin so far).
    public let cumulative: [String: MechanismBreakdown]
    /// Set name -> the parts summed over the first-order steps among 1 ... step (`MechanismStep.isFirstOrder`).
    public let cumulativeFirstOrder: [String: MechanismBreakdown]
    /// Set name -> the actual mean margin at this step minus at step 0.
    public let marginChange: [String: Double]
    /// Set name -> the part of `marginChange` made by steps beyond first order.
    public let marginChangeBeyondFirstOrder: [String: Double]
    /// How many of the steps 1 ... step were beyond first order.
    public let stepsBeyondFirstOrder: Int

    enum CodingKeys: String, CodingKey {
        case step
        case actual
        case lazy
        case lazyRelativeError = "lazy_relative_error"
        case kernelDrift = "kernel_drift"
        case cumulative
        case cumulativeFirstOrder = "cumulative_first_order"
        case marginChange = "margin_change"
        case marginChangeBeyondFirstOrder = "margin_change_beyond_first_order"
        case stepsBeyondFirstOrder = "steps_beyond_first_order"
    }
}

/// One reward model's run.
public struct MechanismRun: Codable, Equatable, Sendable {
    public let type: RewardModelKind
    public let learningRate: Double
    /// Every step, 1 ... steps.
    public let steps: [MechanismStep]
    /// At `MechanismConfiguration.checkpointSteps`.
    public let checkpoints: [MechanismCheckpoint]
    /// Median over steps of the per-step agreement of the summed parts with the actual set-margin changes.
    public let firstOrder: PredictionAgreement
    /// The training loss before each step.
    public let losses: [Double]

    enum CodingKeys: String, CodingKey {
        case type
        case learningRate = "learning_rate"
        case steps
        case checkpoints
        case firstOrder = "first_order"
        case losses
    }
}

/// What `MechanismExperiment` produced.
public struct MechanismResult: Codable, Equatable, Sendable {
    public let configuration: MechanismConfiguration
    public let pretraining: PretrainingSummary
    public let runs: [MechanismRun]
    /// Pairs per evaluation set, in `PersonaDataset.setNames` order.
    public let pairCounts: [String: Int]
    /// Tokens that are training targets (occur in a training response), by set: the only ones that can
    /// carry a token-identity or same-token part.
    public let sharedTokens: [String: [String]]

    enum CodingKeys: String, CodingKey {
        case configuration
        case pretraining
        case runs
        case pairCounts = "pair_counts"
        case sharedTokens = "shared_tokens"
    }
}
