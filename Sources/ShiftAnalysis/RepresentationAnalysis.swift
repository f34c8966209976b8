import TheorycheckCore
import LinearAlgebra
import MaxMargin
import RewardDynamics

/// The paper's check on a real model's hidden states (footnote 3; docs/theory.md §4), for any
/// instance, single-token or not.
///
/// EX-RM side: u* is the max-margin separator of the training differences z_i = h(x_i, y_i+) - h(x_i, y_i-)
/// (`PairDifferences`). For every evaluation pair, zbar = h(xbar, ybar+) - h(xbar, ybar-); Theorem 2 says a
/// gradient-trained head eventually ranks the pair correctly iff <u*, zbar> > 0. Reported per evaluation
/// set, for all pairs and split into seen and unseen pairs (`ResponseTokenNovelty`): the five-number
/// summaries of <u*, zbar> and of cos(u*, zbar), and the fraction with <u*, zbar> > 0.
///
/// IM-RM side: the first-order change of each evaluation pair's margin after one step from the
/// instance's unembedding (`ImplicitFirstOrderPrediction`, the paper's Eq. 5), split into the
/// token-identity part I (from 1[ybar_k = y_l]) and the softmax-competition part C, for the margin:
/// I = I(ybar+) - I(ybar-), C likewise. Reported: the token-identity share |I| / (|I| + |C|) (pairs with
/// I = C = 0 are left out), and the fractions of pairs whose predicted change I + C, I alone and C alone
/// is positive. Shares and signs do not depend on the learning rate (the prediction is linear in it), so
/// it is fixed at 1.
///
/// Mathematical properties:
/// - unseen pairs have token-identity part exactly 0, hence share exactly 0 (the IM-RM moves them only
///   through competition);
/// - training pairs have <u*, z_i> >= 1, so `fractionPositive` is 1 on an evaluation set equal to `train`;
/// - cosines lie in [-1, 1] and have the sign of the inner products.
public enum RepresentationAnalysis {
    /// Runs the analysis. Throws `MaxMarginError` when u* cannot be certified (non-separable training
    /// differences are not an error: the EX-RM statistics are then absent), and `DivergenceError` when the
    /// first-order prediction is not finite (hidden states so large that their inner products overflow).
    public static func run(on instance: Instance, method: MaxMarginMethod = .minimumNormPoint) throws
        -> RepresentationAnalysisResult
    {
        let trainDifferences = PairDifferences.matrix(instance.train, in: instance)
        let outcome = try HardMarginSVM.solve(trainDifferences, method: method)
        let separator = outcome.solution?.separator
        let novelty = ResponseTokenNovelty(instance: instance)

        let layout = SequenceLayout(instance)
        let dynamics = ImplicitRewardDynamics(instance: instance, layout: layout, reference: .frozenInitial)
        let firstOrder = try dynamics.firstOrderPrediction(learningRate: 1)

        var sets: [RepresentationAnalysisResult.SetAnalysis] = []
        for set in instance.evaluationSets {
            let unseen = set.pairs.map { novelty.isUnseen($0, in: instance) }
            let prediction = separator.map {
                MaxMarginPrediction(separator: $0, differences: PairDifferences.matrix(set.pairs, in: instance))
            }
            let identity = set.pairs.map { pair in
                firstOrder.tokenIdentity[layout.indexOf[pair.chosen]!] - firstOrder.tokenIdentity[layout.indexOf[pair.rejected]!]
            }
            let competition = set.pairs.map { pair in
                firstOrder.competition[layout.indexOf[pair.chosen]!] - firstOrder.competition[layout.indexOf[pair.rejected]!]
            }
            func group(_ keep: (Int) -> Bool) -> RepresentationAnalysisResult.Group {
                let indices = set.pairs.indices.filter(keep)
                return RepresentationAnalysisResult.Group(
                    pairs: indices.count,
                    explicit: prediction.map { prediction in
                        DifferenceStatistics(innerProducts: indices.map { prediction.innerProducts[$0] },
                                             cosines: indices.map { prediction.cosines[$0] })
                    },
                    implicit: FirstOrderShareStatistics(tokenIdentity: indices.map { identity[$0] },
                                                        competition: indices.map { competition[$0] }))
            }
            sets.append(RepresentationAnalysisResult.SetAnalysis(
                name: set.name, all: group { _ in true }, seen: group { !unseen[$0] }, unseen: group { unseen[$0] }))
        }
        return RepresentationAnalysisResult(
            maxMargin: .init(outcome: outcome, trainingPairs: instance.train.count, width: instance.hiddenWidth),
            trainingTokens: novelty.trainingTokens.count, sets: sets)
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

    /// One group of pairs of a set (all, seen or unseen).
    public struct Group: Sendable, Encodable {
        public let pairs: Int
        /// nil when the training differences are not separable.
        public let explicit: DifferenceStatistics?
        public let implicit: FirstOrderShareStatistics

        enum CodingKeys: String, CodingKey {
            case pairs
            case explicit = "ex_rm"
            case implicit = "im_rm"
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(pairs, forKey: .pairs)
            try container.encode(explicit, forKey: .explicit)
            try container.encode(implicit, forKey: .implicit)
        }
    }

    public struct SetAnalysis: Sendable, Encodable {
        public let name: String
        public let all: Group
        public let seen: Group
        public let unseen: Group
    }

    public let maxMargin: MaxMarginSummary
    /// Distinct tokens in training responses.
    public let trainingTokens: Int
    public let sets: [SetAnalysis]

    enum CodingKeys: String, CodingKey {
        case maxMargin
        case trainingTokens = "training_response_tokens"
        case sets
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(maxMargin, forKey: .maxMargin)
        try container.encode(trainingTokens, forKey: .trainingTokens)
        try container.encode(Dictionary(uniqueKeysWithValues: sets.map { ($0.name, $0) }), forKey: .sets)
    }
}
