import RewardDynamics

/// Which response of a pair a reward model ranks higher: the sign of its margin r(chosen) - r(rejected).
public enum PredictedWinner: String, Sendable, Codable, Equatable {
    case chosen
    case rejected
    case tie

    /// chosen for a positive margin, rejected for a negative one, tie for 0 (and for NaN, which no
    /// finished run produces: every simulator throws on a non-finite reward).
    public init(margin: Double) {
        self = margin > 0 ? .chosen : (margin < 0 ? .rejected : .tie)
    }
}

/// Both reward models' margins on one evaluation pair after T steps of Assumption-1 training (and at
/// the halfway checkpoint, to see whether the ranking has settled).
public struct TrainedPairOutcome: Sendable, Equatable, Codable {
    public let explicitMargin: Double
    public let implicitMargin: Double
    public let explicitMarginAtHalfway: Double
    public let implicitMarginAtHalfway: Double

    public init(explicitMargin: Double, implicitMargin: Double, explicitMarginAtHalfway: Double,
                implicitMarginAtHalfway: Double)
    {
        self.explicitMargin = explicitMargin
        self.implicitMargin = implicitMargin
        self.explicitMarginAtHalfway = explicitMarginAtHalfway
        self.implicitMarginAtHalfway = implicitMarginAtHalfway
    }

    public var explicitWinner: PredictedWinner { PredictedWinner(margin: explicitMargin) }
    public var implicitWinner: PredictedWinner { PredictedWinner(margin: implicitMargin) }
    /// Whether the winner at T differs from the winner at the halfway checkpoint.
    public var explicitChangedSinceHalfway: Bool { explicitWinner != PredictedWinner(margin: explicitMarginAtHalfway) }
    public var implicitChangedSinceHalfway: Bool { implicitWinner != PredictedWinner(margin: implicitMarginAtHalfway) }
}

/// Everything the analysis says about one evaluation pair: one row of `analyze --pairs FILE`.
///
/// - Identity: the set, the pair's 0-based index in it, its sequence ids and, for an exported instance,
///   the source row and line of the data file.
/// - Tokens: response positions (chosen and rejected together), how many hold a token no training
///   response contains, and their ratio, the token novelty (`ResponseTokenNovelty`), with its bin.
/// - EX-RM: <u*, zbar> and cos(u*, zbar) when the training differences are separable (Theorem 2: the
///   long-run winner is the sign of <u*, zbar>), and the first step's margin change per unit learning
///   rate, (1/n) sum_i s_i <zbar, z_i>.
/// - IM-RM: the first step's margin change per unit learning rate (Eq. 5) split into token identity I
///   and competition C, and the share |I| / (|I| + |C|).
/// - After T steps (`analyze --steps T`): both models' margins and winners.
///
/// Mathematical properties:
/// - tokenNovelty = unseenTokens / responseTokens lies in [0, 1]; novelty 1 implies identity == 0 exactly;
/// - identityShare lies in [0, 1], nil exactly when I = C = 0;
/// - swapping chosen and rejected negates every margin and every first-step change.
public struct PairPrediction: Sendable, Equatable {
    public let set: String
    public let index: Int
    public let pair: PreferencePair
    public let source: PairSource?
    public let responseTokens: Int
    public let unseenTokens: Int
    public let separatorInnerProduct: Double?
    public let separatorCosine: Double?
    public let explicitFirstStep: Double
    public let identity: Double
    public let competition: Double
    public let trained: TrainedPairOutcome?

    public init(set: String, index: Int, pair: PreferencePair, source: PairSource?, responseTokens: Int,
                unseenTokens: Int, separatorInnerProduct: Double?, separatorCosine: Double?,
                explicitFirstStep: Double, identity: Double, competition: Double, trained: TrainedPairOutcome?)
    {
        precondition(responseTokens > 0 && unseenTokens >= 0 && unseenTokens <= responseTokens,
                     "pair \(pair.chosen): \(unseenTokens) unseen of \(responseTokens) response tokens")
        self.set = set
        self.index = index
        self.pair = pair
        self.source = source
        self.responseTokens = responseTokens
        self.unseenTokens = unseenTokens
        self.separatorInnerProduct = separatorInnerProduct
        self.separatorCosine = separatorCosine
        self.explicitFirstStep = explicitFirstStep
        self.identity = identity
        self.competition = competition
        self.trained = trained
    }

    public var tokenNovelty: Double { Double(unseenTokens) / Double(responseTokens) }
    public var noveltyBin: TokenNoveltyBin { TokenNoveltyBin(novelty: tokenNovelty) }
    public var isUnseen: Bool { unseenTokens == responseTokens }
    /// I + C, the IM-RM's first-order margin change per unit learning rate.
    public var implicitFirstStep: Double { identity + competition }
    /// |I| / (|I| + |C|), nil when both are 0.
    public var identityShare: Double? {
        let total = abs(identity) + abs(competition)
        return total > 0 ? abs(identity) / total : nil
    }
    /// The EX-RM's long-run winner by Theorem 2 (sign of <u*, zbar>), nil when not separable.
    public var explicitLongRunWinner: PredictedWinner? { separatorInnerProduct.map { PredictedWinner(margin: $0) } }
}
