import Foundation

/// When the analysis's own predictions should not be trusted, said in so many words.
///
/// Four warnings, each naming its set and reward model where it has one:
/// - `not_separable`: the training differences have no separator through the origin, so Theorem 2's
///   long-run EX-RM prediction (the sign of <u*, zbar>) does not exist; only the T-step prediction stands.
/// - `weak_alignment`: |median cos(u*, zbar)| over a set is below `weakAlignmentCosine`. u* then barely
///   points along the set's differences, the sign of <u*, zbar> is decided by the small components of each
///   difference, and the EX-RM's long-run figure for the set is close to a coin flip however many pairs
///   it counts. (A backbone whose states at the last position do not carry the answer's meaning gives
///   medians near 0.05; one that does, near 0.9.)
/// - `not_settled`: more than `unsettledFraction` of a set's pairs change winner between the halfway step
///   and T: the T-step ranking is still moving, so train longer before reading it.
/// - `barely_trained`: a model's training loss at T is above `barelyTrainedLossRatio` times its loss at
///   step 0: T steps at this learning rate hardly fit the training pairs.
///
/// Notes (not warnings) say what the figures cannot show: without `--steps` the one-step figures give only
/// the direction of the first update (independent runs found the one-step IM-RM "margin rises" share
/// 0 for every backbone, random ones included), and a set with no unseen pair has no exact
/// Theorem 2 class, so its novelty bins are the figures to read.
///
/// Mathematical properties: `trusted` is true exactly when there is no warning; every threshold is a named
/// constant.
public struct PredictionTrust: Sendable, Encodable, Equatable {
    public enum Kind: String, Sendable, Encodable, Equatable {
        case notSeparable = "not_separable"
        case weakAlignment = "weak_alignment"
        case notSettled = "not_settled"
        case barelyTrained = "barely_trained"
    }

    public struct Warning: Sendable, Encodable, Equatable {
        public let kind: Kind
        public let set: String?
        /// "ex_rm" or "im_rm", when the warning concerns one model.
        public let model: String?
        /// The figure that triggered it (the median cosine, the changed fraction, the loss ratio).
        public let value: Double?
        public let message: String
    }

    /// |median cos(u*, zbar)| below this is weak alignment: 0.1, an angle of more than 84 degrees.
    public static let weakAlignmentCosine = 0.1
    /// More than 5% of a set's pairs changing winner over the second half of training is not settled.
    public static let unsettledFraction = 0.05
    /// A loss at T above 95% of the loss at step 0 is barely trained.
    public static let barelyTrainedLossRatio = 0.95

    public let warnings: [Warning]
    public let notes: [String]
    public var trusted: Bool { warnings.isEmpty }

    enum CodingKeys: String, CodingKey {
        case warnings, notes, trusted, thresholds
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(warnings, forKey: .warnings)
        try container.encode(notes, forKey: .notes)
        try container.encode(trusted, forKey: .trusted)
        try container.encode(["weak_alignment_cosine": Self.weakAlignmentCosine,
                              "unsettled_fraction": Self.unsettledFraction,
                              "barely_trained_loss_ratio": Self.barelyTrainedLossRatio], forKey: .thresholds)
    }

    /// The warnings and notes for an analysis's figures: per set, its median cosine (nil without u*), its
    /// unseen-pair count and, after training, the fractions of its pairs that changed winner since the
    /// halfway step; and the trained prediction's checkpoints.
    public static func assess(separable: Bool, sets: [(name: String, medianCosine: Double?, unseenPairs: Int,
                                                       explicitChanged: Double?, implicitChanged: Double?)],
                              trained: TrainedPrediction?) -> PredictionTrust
    {
        var warnings: [Warning] = []
        var notes: [String] = []
        if !separable {
            warnings.append(Warning(
                kind: .notSeparable, set: nil, model: "ex_rm", value: nil,
                message: "the training differences are not separable, so there is no u* and no long-run EX-RM prediction; "
                    + (trained == nil ? "run with --steps T for the trained prediction." : "read the T-step prediction instead.")))
        }
        for set in sets {
            if let median = set.medianCosine, !median.isNaN, abs(median) < weakAlignmentCosine {
                warnings.append(Warning(
                    kind: .weakAlignment, set: set.name, model: "ex_rm", value: median,
                    message: "median cos(u*, zbar) is \(format(median)) on \(set.name): u* barely points along these "
                        + "differences, so the long-run EX-RM prediction for this set is close to chance; the states "
                        + "the head reads may not carry what separates chosen from rejected here."))
            }
            for (model, changed) in [("ex_rm", set.explicitChanged), ("im_rm", set.implicitChanged)] {
                if let changed, !changed.isNaN, changed > unsettledFraction, let trained {
                    warnings.append(Warning(
                        kind: .notSettled, set: set.name, model: model, value: changed,
                        message: "\(format(100 * changed))% of \(set.name)'s pairs changed \(model) winner between step "
                            + "\(trained.halfway) and step \(trained.steps): the ranking is still moving; raise --steps."))
                }
            }
            if set.unseenPairs == 0 {
                notes.append("\(set.name) has no unseen pair (every pair shares a response token with training); "
                             + "read its token-novelty bins.")
            }
        }
        if let trained {
            let start = trained.initial
            let end = trained.final
            for (model, before, after) in [("ex_rm", start.explicitLoss, end.explicitLoss),
                                           ("im_rm", start.implicitLoss, end.implicitLoss)]
                where before > 0 && after > barelyTrainedLossRatio * before
            {
                warnings.append(Warning(
                    kind: .barelyTrained, set: nil, model: model, value: after / before,
                    message: "\(model)'s training loss fell only from \(format(before)) to \(format(after)) in "
                        + "\(trained.steps) steps: raise --steps or its learning rate."))
            }
        } else {
            notes.append("one step only (no --steps): the first-step figures give the direction each margin starts "
                         + "to move in, not which reward model ranks a pair correctly after training; run with "
                         + "--steps T for that.")
        }
        return PredictionTrust(warnings: warnings, notes: notes)
    }

    private static func format(_ value: Double) -> String {
        String(format: "%.3g", value)
    }
}
