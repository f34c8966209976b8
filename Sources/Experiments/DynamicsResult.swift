import RewardDynamics
import TheorycheckCore
import LinearAlgebra

/// Metrics of every reward model on every evaluation set at one step.
public struct DynamicsCheckpoint: Sendable, Encodable {
    public let step: Int
    public let metrics: [RewardModelKind: [String: PairMetrics]]
    /// The Bradley-Terry loss on the training pairs.
    public let trainingLoss: [RewardModelKind: Double]

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// `{"step": s, "ex_rm": {"<set>": {...}}, ..., "training_loss": {"ex_rm": l, ...}}`.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(step, forKey: Key(stringValue: "step"))
        for (kind, perSet) in metrics {
            try container.encode(perSet, forKey: Key(stringValue: kind.rawValue))
        }
        try container.encode(
            Dictionary(uniqueKeysWithValues: trainingLoss.map { ($0.key.rawValue, $0.value) }),
            forKey: Key(stringValue: "training_loss"))
    }
}

/// How well the closed-form prediction of one step matched the step.
public struct FirstOrderRecord: Sendable, Encodable {
    public let step: Int
    public let kind: RewardModelKind
    /// ||predicted - exact||_inf / ||exact||_inf over all sequences' reward changes.
    public let relativeError: Double
    /// IM-RMs: the token-identity part's share of the prediction, sum |identity| / (sum |identity| + sum |competition|).
    public let tokenIdentityShare: Double?

    enum CodingKeys: String, CodingKey {
        case step
        case kind = "rm"
        case relativeError
        case tokenIdentityShare
    }
}

/// Everything `DynamicsExperiment.run` measured.
public struct DynamicsResult: Sendable, Encodable {
    public let evaluationSets: [String]
    public let kinds: [RewardModelKind]
    /// Metrics at steps 0, 1, 10, 100, ..., last.
    public let checkpoints: [DynamicsCheckpoint]
    /// Metrics at log-spaced steps, for plots.
    public let trajectory: [DynamicsCheckpoint]
    /// Closed form vs. trained read-out: max over steps and sequences of |a - b| / max(1, |b|).
    public let agreement: [RewardModelKind: Double]
    public let firstOrder: [FirstOrderRecord]

    /// The largest first-order relative error of each reward model over the checkpoints.
    public var worstFirstOrderError: [RewardModelKind: Double] {
        var worst = [RewardModelKind: Double]()
        for record in firstOrder {
            worst[record.kind] = NaNPropagating.max(worst[record.kind] ?? 0, record.relativeError)
        }
        return worst
    }

    enum CodingKeys: String, CodingKey {
        case evaluationSets
        case checkpoints, trajectory, agreement
        case firstOrder
        case worstFirstOrder = "first_order_max_relative_error"
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(evaluationSets, forKey: .evaluationSets)
        try container.encode(checkpoints, forKey: .checkpoints)
        try container.encode(trajectory, forKey: .trajectory)
        try container.encode(agreement, forKey: .agreement)
        try container.encode(firstOrder, forKey: .firstOrder)
        try container.encode(worstFirstOrderError, forKey: .worstFirstOrder)
    }
}
