import TheorycheckCore
import LinearAlgebra
import MaxMargin
import RewardDynamics

/// What `RepresentationAnalysis.run` computes besides the one-step analysis, and how.
public struct AnalysisOptions: Sendable {
    public var method: MaxMarginMethod = .minimumNormPoint
    /// T for the trained prediction (`TrainedPrediction`); 0 for none.
    public var steps = 0
    /// The EX-RM and IM-RM learning rates of the T steps; nil for `PredictionLearningRates`' defaults.
    public var explicitLearningRate: Double?
    public var implicitLearningRate: Double?
    /// The IM-RM passes' storage and product type.
    public var precision: ReadoutPrecision = .automatic
    /// Source rows and lines of the pairs, per set (an exported instance's `ExportProvenance`).
    public var sources: [String: [PreferencePair: PairSource]] = [:]
    /// The byte budget of one streamed piece of logits.
    public var pieceBytes = StreamedImplicitRewardModel.defaultPieceBytes

    public init() {}
}

/// The stages `RepresentationAnalysis.run` reports progress for, with (done, total) in the stage's units.
public enum AnalysisStage: String, Sendable {
    /// The step-0 gradient over the training contexts (contexts done).
    case gradient = "IM-RM gradient, training contexts"
    /// The Eq. 5 split over the evaluation contexts (contexts done).
    case firstOrder = "Eq. 5 split, evaluation contexts"
    /// The T-step prediction (steps taken).
    case training = "training steps"
}

/// The paper's check on a real model's hidden states (footnote 3; docs/theory.md §4), for any
/// instance, single-token or not, pair by pair.
///
/// EX-RM side: u* is the max-margin separator of the training differences z_i = h(x_i, y_i+) - h(x_i, y_i-)
/// (`PairDifferences`). For every evaluation pair, zbar = h(xbar, ybar+) - h(xbar, ybar-); Theorem 2 says a
/// gradient-trained head eventually ranks the pair correctly iff <u*, zbar> > 0. Reported per evaluation
/// set, for all pairs, split into seen and unseen pairs (`ResponseTokenNovelty`) and into token-novelty
/// bins (`TokenNoveltyBin`): the five-number summaries of <u*, zbar> and of cos(u*, zbar), and the fraction
/// with <u*, zbar> > 0.
///
/// IM-RM side: the first-order change of each evaluation pair's margin after one step from the
/// instance's unembedding (`StreamedFirstOrderPrediction`, the paper's Eq. 5 through the update Delta,
/// O(C V d) with memory linear in the contexts), split into the token-identity part I (from
/// 1[ybar_k = y_l]) and the softmax-competition part C, for the margin: I = I(ybar+) - I(ybar-), C
/// likewise. Reported: the token-identity share |I| / (|I| + |C|) (pairs with I = C = 0 are left out), and
/// the fractions of pairs whose predicted change I + C, I alone and C alone is positive. Shares and signs
/// do not depend on the learning rate (the prediction is linear in it), so it is fixed at 1.
///
/// With `options.steps` T > 0, both read-outs are also trained for T steps (`TrainedPrediction`) and
/// every pair gets each model's margin and winner at T. `PredictionTrust` says where the predictions are
/// not to be trusted. Every per-pair figure is in `pairs` (`PairPrediction`).
///
/// Mathematical properties:
/// - unseen pairs have token-identity part exactly 0, hence share exactly 0 (the IM-RM moves them only
///   through competition);
/// - training pairs have <u*, z_i> >= 1, so `fractionPositive` is 1 on an evaluation set equal to `train`;
/// - cosines lie in [-1, 1] and have the sign of the inner products;
/// - the novelty bins of a set partition its pairs, and the bin "1" is exactly its unseen group.
public enum RepresentationAnalysis {
    /// Runs the one-step analysis. Throws `MaxMarginError` when u* cannot be certified (non-separable
    /// training differences are not an error: the EX-RM statistics are then absent), and `DivergenceError`
    /// when the first-order prediction is not finite (hidden states so large that their inner products
    /// overflow).
    public static func run(on instance: Instance, method: MaxMarginMethod = .minimumNormPoint) throws
        -> RepresentationAnalysisResult
    {
        var options = AnalysisOptions()
        options.method = method
        return try run(on: instance, options: options)
    }

    /// Runs the analysis with `options` (see the type's doc); `progress(stage, done, total)` as it goes.
    public static func run(on instance: Instance, options: AnalysisOptions,
                           progress: ((AnalysisStage, Int, Int) -> Void)? = nil) throws -> RepresentationAnalysisResult
    {
        let trainDifferences = PairDifferences.matrix(instance.train, in: instance)
        let outcome = try HardMarginSVM.solve(trainDifferences, method: options.method)
        let separator = outcome.solution?.separator
        let novelty = ResponseTokenNovelty(instance: instance)
        let layout = SequenceLayout(instance)
        let evaluated = Array(Set(layout.evaluationSets.flatMap { $0.pairs.flatMap { [$0.chosen, $0.rejected] } })).sorted()

        // EX-RM first step per unit learning rate: Delta u = (1/n) Z^T s at the instance's head.
        let startWeights = BLAS.product(trainDifferences, instance.head).map { StableMath.sigmoid(-$0) }
        let headStep = BLAS.product(trainDifferences, transposeA: true, startWeights)
            .map { $0 / Double(instance.train.count) }

        // IM-RM: the step-0 gradient (which is also the first training step), then Eq. 5 per sequence.
        var implicitModel = StreamedImplicitRewardModel(instance: instance, layout: layout, reference: .frozenInitial,
                                                        precision: options.precision, pieceBytes: options.pieceBytes)
        let gradient = try implicitModel.gradientPass { progress?(.gradient, $0, $1) }
        let firstOrder = try implicitModel.firstOrderPrediction(of: evaluated) { progress?(.firstOrder, $0, $1) }
        var identityOf = [Double](repeating: .nan, count: layout.sequenceCount)
        var competitionOf = identityOf
        for (position, s) in firstOrder.sequences.enumerated() {
            identityOf[s] = firstOrder.tokenIdentity[position]
            competitionOf[s] = firstOrder.competition[position]
        }
        let trained = options.steps > 0
            ? try TrainedPrediction.run(instance: instance, layout: layout, implicitModel: &implicitModel,
                                        initialGradient: gradient, steps: options.steps,
                                        explicitLearningRate: options.explicitLearningRate,
                                        implicitLearningRate: options.implicitLearningRate, evaluated: evaluated,
                                        progress: { progress?(.training, $0, $1) })
            : nil

        var sets: [RepresentationAnalysisResult.SetAnalysis] = []
        var pairs: [PairPrediction] = []
        for (set, indexed) in zip(instance.evaluationSets, layout.evaluationSets.map(\.pairs)) {
            let prediction = separator.map {
                MaxMarginPrediction(separator: $0, differences: PairDifferences.matrix(set.pairs, in: instance))
            }
            let differences = PairDifferences.matrix(set.pairs, in: instance)
            let firstSteps = BLAS.product(differences, headStep)
            var setPairs: [PairPrediction] = []
            for (j, pair) in set.pairs.enumerated() {
                let positions = novelty.unseenPositions(pair, in: instance)
                let index = indexed[j]
                setPairs.append(PairPrediction(
                    set: set.name, index: j, pair: pair, source: options.sources[set.name]?[pair],
                    responseTokens: positions.total, unseenTokens: positions.unseen,
                    separatorInnerProduct: prediction?.innerProducts[j], separatorCosine: prediction?.cosines[j],
                    explicitFirstStep: firstSteps[j],
                    identity: identityOf[index.chosen] - identityOf[index.rejected],
                    competition: competitionOf[index.chosen] - competitionOf[index.rejected],
                    trained: trained?.outcome(for: index)))
            }
            let separable = separator != nil
            func group(_ members: [PairPrediction]) -> RepresentationAnalysisResult.Group {
                .init(members, separable: separable, trained: trained != nil)
            }
            sets.append(RepresentationAnalysisResult.SetAnalysis(
                name: set.name, all: group(setPairs), seen: group(setPairs.filter { !$0.isUnseen }),
                unseen: group(setPairs.filter(\.isUnseen)),
                noveltyBins: TokenNoveltyBin.allCases.map { bin in
                    .init(bin: bin, group: group(setPairs.filter { $0.noveltyBin == bin }))
                }))
            pairs += setPairs
        }
        let trust = PredictionTrust.assess(
            separable: separator != nil,
            sets: sets.map { set in
                (name: set.name, medianCosine: set.all.explicit?.cosine.median, unseenPairs: set.unseen.pairs,
                 explicitChanged: set.all.trained?.explicit.changedSinceHalfway,
                 implicitChanged: set.all.trained?.implicit.changedSinceHalfway)
            },
            trained: trained)
        return RepresentationAnalysisResult(
            maxMargin: .init(outcome: outcome, trainingPairs: instance.train.count, width: instance.hiddenWidth),
            trainingTokens: novelty.trainingTokens.count, sets: sets, trained: trained, trust: trust,
            precision: implicitModel.precision, pairs: pairs)
    }
}

/// Accuracy and margins of one reward model at T over a group of pairs, and how many changed winner
/// since the halfway step.
public struct TrainedModelStatistics: Sendable, Encodable {
    /// Ties count half; NaN (null) for an empty group.
    public let accuracy: Double
    /// Mean of r+ - r-.
    public let meanMargin: Double
    /// Fraction of pairs whose winner at T differs from the halfway step's.
    public let changedSinceHalfway: Double

    public init(margins: [Double], changed: [Bool]) {
        accuracy = MarginAccuracy.accuracy(margins)
        meanMargin = margins.isEmpty ? .nan : margins.reduce(0, +) / Double(margins.count)
        changedSinceHalfway = changed.isEmpty ? .nan : Double(changed.filter { $0 }.count) / Double(changed.count)
    }

    enum CodingKeys: String, CodingKey {
        case accuracy, meanMargin, changedSinceHalfway
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeFigure(accuracy, forKey: .accuracy)
        try container.encodeFigure(meanMargin, forKey: .meanMargin)
        try container.encodeFigure(changedSinceHalfway, forKey: .changedSinceHalfway)
    }
}

/// Both models' T-step figures over a group of pairs.
public struct TrainedGroupStatistics: Sendable, Encodable {
    public let explicit: TrainedModelStatistics
    public let implicit: TrainedModelStatistics

    init(_ outcomes: [TrainedPairOutcome]) {
        explicit = TrainedModelStatistics(margins: outcomes.map(\.explicitMargin),
                                          changed: outcomes.map(\.explicitChangedSinceHalfway))
        implicit = TrainedModelStatistics(margins: outcomes.map(\.implicitMargin),
                                          changed: outcomes.map(\.implicitChangedSinceHalfway))
    }

    enum CodingKeys: String, CodingKey {
        case explicit = "ex_rm"
        case implicit = "im_rm"
    }
}

/// Statistics of <u*, zbar> and cos(u*, zbar) over a group of evaluation pairs.
public struct DifferenceStatistics: Sendable, Encodable {
    public let innerProduct: FiveNumberSummary
    public let cosine: FiveNumberSummary
    /// Fraction of pairs with <u*, zbar> > 0 (NaN for an empty group or a NaN inner product).
    public let fractionPositive: Double

    public init(innerProducts: [Double], cosines: [Double]) {
        innerProduct = FiveNumberSummary(innerProducts)
        cosine = FiveNumberSummary(cosines)
        fractionPositive = NaNPropagating.fraction(innerProducts) { $0 > 0 }
    }

    enum CodingKeys: String, CodingKey {
        case innerProduct
        case cosine
        case fractionPositive
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(innerProduct, forKey: .innerProduct)
        try container.encode(cosine, forKey: .cosine)
        try container.encodeFigure(fractionPositive, forKey: .fractionPositive)
    }
}

/// How a group of evaluation pairs' first-order IM-RM margin changes split into token identity and
/// competition.
public struct FirstOrderShareStatistics: Sendable, Encodable {
    /// |I| / (|I| + |C|) per pair, over pairs where I and C are not both 0.
    public let tokenIdentityShare: FiveNumberSummary
    /// Fraction of pairs with I + C > 0: the IM-RM's first step moves the margin the right way.
    public let predictedPositiveFraction: Double
    /// Fraction with I > 0, and with C > 0.
    public let identityPositiveFraction: Double
    public let competitionPositiveFraction: Double
    /// Mean of I and of C over the group (per unit learning rate).
    public let meanTokenIdentity: Double
    public let meanCompetition: Double

    /// NaN parts make every figure NaN (a NaN share is kept, not left out as a 0 / 0 pair).
    public init(tokenIdentity: [Double], competition: [Double]) {
        precondition(tokenIdentity.count == competition.count,
                     "\(tokenIdentity.count) identity parts for \(competition.count) competition parts")
        let count = Double(tokenIdentity.count)
        tokenIdentityShare = FiveNumberSummary(zip(tokenIdentity, competition).compactMap { identity, competition in
            let total = abs(identity) + abs(competition)
            if total.isNaN { return .nan }
            return total > 0 ? abs(identity) / total : nil
        })
        predictedPositiveFraction = NaNPropagating.fraction(zip(tokenIdentity, competition).map(+)) { $0 > 0 }
        identityPositiveFraction = NaNPropagating.fraction(tokenIdentity) { $0 > 0 }
        competitionPositiveFraction = NaNPropagating.fraction(competition) { $0 > 0 }
        meanTokenIdentity = tokenIdentity.isEmpty ? .nan : tokenIdentity.reduce(0, +) / count
        meanCompetition = competition.isEmpty ? .nan : competition.reduce(0, +) / count
    }

    enum CodingKeys: String, CodingKey {
        case tokenIdentityShare
        case predictedPositiveFraction
        case identityPositiveFraction
        case competitionPositiveFraction
        case meanTokenIdentity
        case meanCompetition
    }

    /// Undefined figures of an empty group are null.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tokenIdentityShare, forKey: .tokenIdentityShare)
        try container.encodeFigure(predictedPositiveFraction, forKey: .predictedPositiveFraction)
        try container.encodeFigure(identityPositiveFraction, forKey: .identityPositiveFraction)
        try container.encodeFigure(competitionPositiveFraction, forKey: .competitionPositiveFraction)
        try container.encodeFigure(meanTokenIdentity, forKey: .meanTokenIdentity)
        try container.encodeFigure(meanCompetition, forKey: .meanCompetition)
    }
}

/// Everything `RepresentationAnalysis.run` measured.
public struct RepresentationAnalysisResult: Sendable, Encodable {
    public struct MaxMarginSummary: Sendable, Encodable {
        public let separable: Bool
        public let margin: Double?
        public let supportCount: Int?
        public let trainingPairs: Int
        public let width: Int

        init(outcome: MaxMarginOutcome, trainingPairs: Int, width: Int) {
            separable = outcome.solution != nil
            margin = outcome.solution?.margin
            supportCount = outcome.solution?.supportIndices.count
            self.trainingPairs = trainingPairs
            self.width = width
        }

        enum CodingKeys: String, CodingKey {
            case separable, margin, width
            case supportCount
            case trainingPairs
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(separable, forKey: .separable)
            try container.encode(margin, forKey: .margin)
            try container.encode(supportCount, forKey: .supportCount)
            try container.encode(trainingPairs, forKey: .trainingPairs)
            try container.encode(width, forKey: .width)
        }
    }

    /// One group of pairs of a set (all, seen, unseen or a novelty bin).
    public struct Group: Sendable, Encodable {
        public let pairs: Int
        /// nil when the training differences are not separable.
        public let explicit: DifferenceStatistics?
        public let implicit: FirstOrderShareStatistics
        /// The T-step figures, nil without `--steps`.
        public let trained: TrainedGroupStatistics?

        /// The statistics of `members` (`separable`: whether u* exists; `trained`: whether the pairs carry
        /// T-step outcomes).
        public init(_ members: [PairPrediction], separable: Bool, trained hasTrained: Bool) {
            pairs = members.count
            explicit = separable
                ? DifferenceStatistics(innerProducts: members.map { $0.separatorInnerProduct! },
                                       cosines: members.map { $0.separatorCosine! })
                : nil
            implicit = FirstOrderShareStatistics(tokenIdentity: members.map(\.identity),
                                                 competition: members.map(\.competition))
            trained = hasTrained ? TrainedGroupStatistics(members.map { $0.trained! }) : nil
        }

        enum CodingKeys: String, CodingKey {
            case pairs
            case explicit = "ex_rm"
            case implicit = "im_rm"
            case trained
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(pairs, forKey: .pairs)
            try container.encode(explicit, forKey: .explicit)
            try container.encode(implicit, forKey: .implicit)
            try container.encode(trained, forKey: .trained)
        }
    }

    /// One token-novelty bin of a set.
    public struct NoveltyBinGroup: Sendable, Encodable {
        public let bin: TokenNoveltyBin
        public let group: Group

        enum CodingKeys: String, CodingKey {
            case bin
        }

        /// The bin's label beside the group's fields.
        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(bin.label, forKey: .bin)
            try group.encode(to: encoder)
        }
    }

    public struct SetAnalysis: Sendable, Encodable {
        public let name: String
        public let all: Group
        public let seen: Group
        public let unseen: Group
        /// Every `TokenNoveltyBin` in order, empty ones included (they partition `all`).
        public let noveltyBins: [NoveltyBinGroup]
    }

    public let maxMargin: MaxMarginSummary
    /// Distinct tokens in training responses.
    public let trainingTokens: Int
    public let sets: [SetAnalysis]
    /// The T-step prediction's settings and checkpoints, nil without `--steps`.
    public let trained: TrainedPrediction?
    public let trust: PredictionTrust
    /// The IM-RM passes' precision.
    public let precision: ReadoutPrecision
    /// Every evaluation pair, set after set (written by `analyze --pairs`, not part of the JSON document).
    public let pairs: [PairPrediction]

    enum CodingKeys: String, CodingKey {
        case maxMargin
        case trainingTokens = "training_response_tokens"
        case sets, trained, trust, precision
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(maxMargin, forKey: .maxMargin)
        try container.encode(trainingTokens, forKey: .trainingTokens)
        try container.encode(Dictionary(uniqueKeysWithValues: sets.map { ($0.name, $0) }), forKey: .sets)
        try container.encode(trained, forKey: .trained)
        try container.encode(trust, forKey: .trust)
        try container.encode(precision, forKey: .precision)
    }
}
