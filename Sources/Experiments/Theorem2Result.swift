import LinearAlgebra
import MaxMargin
import RewardDynamics
import ShiftAnalysis
import Tasks
import TheorycheckCore

/// Metrics of both reward models at one checkpoint of `Theorem2Experiment`.
public struct Theorem2Checkpoint: Sendable {
    public let step: Int
    /// cos(u(t), u*); nil when the training differences are not separable.
    public let cosineToMaxMargin: Double?
    /// |u(t)|, which grows like log t on separable data.
    public let headNorm: Double
    /// EX-RM accuracy per evaluation set (in `Theorem2Result.setNames` order).
    public let explicitAccuracy: [Double]
    /// IM-RM accuracy per evaluation set.
    public let implicitAccuracy: [Double]
}

/// Predicted and actual figures of one evaluation set (or of all sets pooled) after the last step.
public struct Theorem2SetFigures: Sendable {
    public let name: String
    public let pairs: Int
    /// Pairs none of whose response tokens appear in a training response (`ResponseTokenNovelty`).
    public let unseenPairs: Int
    public let implicitAccuracy: Double
    /// IM-RM accuracy on the unseen pairs (exactly 0.5 by Theorem 2; NaN when there are none).
    public let implicitUnseenAccuracy: Double
    /// True when every unseen pair's IM-RM margin is exactly 0.
    public let implicitUnseenMarginsZero: Bool
    public let explicitAccuracy: Double
    public let explicitUnseenAccuracy: Double
    /// Fraction of pairs with <u*, zbar> > 0; nil when not separable.
    public let predictedCorrectFraction: Double?
    public let unseenPredictedCorrectFraction: Double?
    /// Fraction of pairs whose trained-head ranking (<u(t), zbar> > 0) matches the prediction.
    public let signAgreement: Double?

    /// Collects margins and predictions pair by pair.
    struct Accumulator {
        var explicitMargins: [Double] = []
        var implicitMargins: [Double] = []
        var predicted: [Bool]? = []
        var unseen: [Bool] = []

        mutating func add(explicitMargins: [Double], implicitMargins: [Double], predictedCorrect: [Bool]?,
                          unseen: [Bool])
        {
            self.explicitMargins += explicitMargins
            self.implicitMargins += implicitMargins
            if let predictedCorrect, predicted != nil { predicted! += predictedCorrect } else { predicted = nil }
            self.unseen += unseen
        }

        func figures(name: String) -> Theorem2SetFigures {
            let unseenIndices = unseen.indices.filter { unseen[$0] }
            func fraction(_ flags: [Bool]) -> Double {
                flags.isEmpty ? .nan : Double(flags.filter { $0 }.count) / Double(flags.count)
            }
            // A NaN margin is neither right nor wrong: the agreement is then NaN, not a count.
            let agreement = predicted.map { predicted in
                explicitMargins.contains(where: \.isNaN) ? .nan : fraction(zip(explicitMargins, predicted).map { ($0 > 0) == $1 })
            }
            return Theorem2SetFigures(
                name: name, pairs: unseen.count, unseenPairs: unseenIndices.count,
                implicitAccuracy: MarginAccuracy.accuracy(implicitMargins),
                implicitUnseenAccuracy: MarginAccuracy.accuracy(unseenIndices.map { implicitMargins[$0] }),
                implicitUnseenMarginsZero: unseenIndices.allSatisfy { implicitMargins[$0] == 0 },
                explicitAccuracy: MarginAccuracy.accuracy(explicitMargins),
                explicitUnseenAccuracy: MarginAccuracy.accuracy(unseenIndices.map { explicitMargins[$0] }),
                predictedCorrectFraction: predicted.map(fraction),
                unseenPredictedCorrectFraction: predicted.map { p in fraction(unseenIndices.map { p[$0] }) },
                signAgreement: agreement)
        }
    }
}

/// Everything `Theorem2Experiment.run` measured.
///
/// JSON: `{"steps", "lr", "im_lr", "max_margin": {...}, "im_rm": {"unseen_rows_unchanged": bool,
/// "unseen_accuracy": a, ...}, "ex_rm": {"cosine_to_max_margin": [[step, cos], ...],
/// "predicted_correct_fraction": f, "accuracy": a, "unseen_accuracy": a, ...}, "sets": {...},
/// "checkpoints": [...]}`; the pooled figures (over every pair of every evaluation set) sit under
/// `im_rm` and `ex_rm`, the per-set ones under `sets`. Undefined figures are `null` (no separator, or no
/// unseen pairs: see `unseen_pairs`).
public struct Theorem2Result: Sendable, Encodable {
    /// The max-margin problem of the training differences.
    public struct MaxMarginSummary: Sendable, Encodable {
        public let separable: Bool
        public let margin: Double?
        public let support: [Int]?
        public let trainingPairs: Int
        public let separator: [Double]?

        init(outcome: MaxMarginOutcome, trainingPairs: Int) {
            separable = outcome.solution != nil
            margin = outcome.solution?.margin
            support = outcome.solution?.supportIndices
            separator = outcome.solution?.separator
            self.trainingPairs = trainingPairs
        }

        enum CodingKeys: String, CodingKey {
            case separable, margin, support
            case trainingPairs
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(separable, forKey: .separable)
            try container.encode(margin, forKey: .margin)
            try container.encode(support, forKey: .support)
            try container.encode(trainingPairs, forKey: .trainingPairs)
        }
    }

    public let steps: Int
    public let explicitLearningRate: Double
    public let implicitLearningRate: Double
    public let maxMargin: MaxMarginSummary
    /// Vocabulary rows of tokens never seen in a training response.
    public let unseenRowsChecked: Int
    /// Those of them whose row is not bit-identical to its start (Theorem 2: none).
    public let changedUnseenRows: [Int]
    /// Rows of training tokens that moved (a sanity check that training happened).
    public let trainingRowsChanged: Int
    public let trainingRows: Int
    /// Figures over every pair of every evaluation set.
    public let pooled: Theorem2SetFigures
    public let sets: [Theorem2SetFigures]
    public let setNames: [String]
    public let checkpoints: [Theorem2Checkpoint]
    public let finalHeadNorm: Double

    /// Theorem 2's IM-RM claim on the rows: no unseen row moved.
    public var unseenRowsUnchanged: Bool { changedUnseenRows.isEmpty }

    /// (step, cos(u(t), u*)) at every checkpoint; empty when not separable.
    public var cosineTrajectory: [(step: Int, cosine: Double)] {
        checkpoints.compactMap { checkpoint in checkpoint.cosineToMaxMargin.map { (checkpoint.step, $0) } }
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(steps, forKey: Key("steps"))
        try container.encode(explicitLearningRate, forKey: Key("lr"))
        try container.encode(implicitLearningRate, forKey: Key("im_lr"))
        try container.encode(maxMargin, forKey: Key("max_margin"))

        var implicit = container.nestedContainer(keyedBy: Key.self, forKey: Key("im_rm"))
        try implicit.encode(unseenRowsUnchanged, forKey: Key("unseen_rows_unchanged"))
        try implicit.encode(unseenRowsChecked, forKey: Key("unseen_rows_checked"))
        try implicit.encode(changedUnseenRows, forKey: Key("changed_unseen_rows"))
        try implicit.encode(trainingRowsChanged, forKey: Key("training_rows_changed"))
        try implicit.encode(trainingRows, forKey: Key("training_rows"))
        try implicit.encode(pooled.unseenPairs, forKey: Key("unseen_pairs"))
        try implicit.encodeFigure(pooled.implicitUnseenAccuracy, forKey: Key("unseen_accuracy"))
        try implicit.encode(pooled.implicitUnseenMarginsZero, forKey: Key("unseen_margins_all_zero"))
        try implicit.encodeFigure(pooled.implicitAccuracy, forKey: Key("accuracy"))

        var explicit = container.nestedContainer(keyedBy: Key.self, forKey: Key("ex_rm"))
        try explicit.encode(cosineTrajectory.map { [Double($0.step), $0.cosine] }, forKey: Key("cosine_to_max_margin"))
        try explicit.encodeFigure(pooled.predictedCorrectFraction, forKey: Key("predicted_correct_fraction"))
        try explicit.encodeFigure(pooled.explicitAccuracy, forKey: Key("accuracy"))
        try explicit.encodeFigure(pooled.unseenPredictedCorrectFraction, forKey: Key("unseen_predicted_correct_fraction"))
        try explicit.encodeFigure(pooled.explicitUnseenAccuracy, forKey: Key("unseen_accuracy"))
        try explicit.encodeFigure(pooled.signAgreement, forKey: Key("sign_agreement"))
        try explicit.encode(finalHeadNorm, forKey: Key("head_norm"))

        var perSet = container.nestedContainer(keyedBy: Key.self, forKey: Key("sets"))
        for figures in sets {
            var set = perSet.nestedContainer(keyedBy: Key.self, forKey: Key(figures.name))
            try set.encode(figures.pairs, forKey: Key("pairs"))
            try set.encode(figures.unseenPairs, forKey: Key("unseen_pairs"))
            var implicitSet = set.nestedContainer(keyedBy: Key.self, forKey: Key("im_rm"))
            try implicitSet.encodeFigure(figures.implicitAccuracy, forKey: Key("accuracy"))
            try implicitSet.encodeFigure(figures.implicitUnseenAccuracy, forKey: Key("unseen_accuracy"))
            var explicitSet = set.nestedContainer(keyedBy: Key.self, forKey: Key("ex_rm"))
            try explicitSet.encodeFigure(figures.predictedCorrectFraction, forKey: Key("predicted_correct_fraction"))
            try explicitSet.encodeFigure(figures.explicitAccuracy, forKey: Key("accuracy"))
            try explicitSet.encodeFigure(figures.unseenPredictedCorrectFraction, forKey: Key("unseen_predicted_correct_fraction"))
            try explicitSet.encodeFigure(figures.explicitUnseenAccuracy, forKey: Key("unseen_accuracy"))
            try explicitSet.encodeFigure(figures.signAgreement, forKey: Key("sign_agreement"))
        }

        var list = container.nestedUnkeyedContainer(forKey: Key("checkpoints"))
        for checkpoint in checkpoints {
            var entry = list.nestedContainer(keyedBy: Key.self)
            try entry.encode(checkpoint.step, forKey: Key("step"))
            try entry.encode(checkpoint.cosineToMaxMargin, forKey: Key("cosine_to_max_margin"))
            try entry.encode(checkpoint.headNorm, forKey: Key("head_norm"))
            var ex = entry.nestedContainer(keyedBy: Key.self, forKey: Key("ex_rm"))
            var im = entry.nestedContainer(keyedBy: Key.self, forKey: Key("im_rm"))
            for (index, name) in setNames.enumerated() {
                try ex.encodeFigure(checkpoint.explicitAccuracy[index], forKey: Key(name))
                try im.encodeFigure(checkpoint.implicitAccuracy[index], forKey: Key(name))
            }
        }
    }
}
