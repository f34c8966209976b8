/// How well rewards rank a set of preference pairs.
///
/// - accuracy = P[r+ > r-] + 1/2 P[r+ = r-] (ties count half, so an all-zero reward scores exactly 0.5);
/// - strict accuracy = P[r+ > r-];
/// - normalized margin = mean |r+ - r-| / (unbiased std of all 2n rewards + 1e-8) (docs/theory.md §1): a
///   scale-free size of the margins that ignores their sign;
/// - mean margin = mean (r+ - r-), signed: what TRL's trainers log as the reward margin; negative when the
///   rejected responses win on average.
///
/// Mathematical properties: accuracy and strict accuracy lie in [0, 1] with strict <= accuracy; all
/// rewards equal gives accuracy 0.5, strict accuracy 0, normalized margin 0 and mean margin 0;
/// mean margin = mean chosen reward - mean rejected reward; |mean margin| <= mean |r+ - r-|; a NaN reward
/// in any pair makes every figure NaN (never a count that treats the NaN as a loss).
/// With no pairs every figure is undefined: the JSON writes them as null beside `"pairs": 0`.
public struct PairMetrics: Sendable, Equatable, Codable {
    /// The number of pairs the figures are over.
    public let pairs: Int
    public let accuracy: Double
    public let strictAccuracy: Double
    public let normalizedMargin: Double
    /// mean (r+ - r-), signed.
    public let meanMargin: Double
    public let meanChosenReward: Double
    public let meanRejectedReward: Double

    public init(rewards: [Double], pairs: [IndexedPair]) {
        guard !pairs.isEmpty else {
            self.init(pairs: 0, accuracy: .nan, strictAccuracy: .nan, normalizedMargin: .nan, meanMargin: .nan,
                      meanChosenReward: .nan, meanRejectedReward: .nan)
            return
        }
        let count = Double(pairs.count)
        var wins = 0.0
        var ties = 0.0
        var absoluteMargins = 0.0
        var signedMargins = 0.0
        var chosenTotal = 0.0
        var rejectedTotal = 0.0
        var all: [Double] = []
        all.reserveCapacity(2 * pairs.count)
        for pair in pairs {
            let chosen = rewards[pair.chosen]
            let rejected = rewards[pair.rejected]
            if chosen.isNaN || rejected.isNaN {
                self.init(pairs: pairs.count, accuracy: .nan, strictAccuracy: .nan, normalizedMargin: .nan,
                          meanMargin: .nan, meanChosenReward: .nan, meanRejectedReward: .nan)
                return
            }
            if chosen > rejected { wins += 1 } else if chosen == rejected { ties += 1 }
            absoluteMargins += abs(chosen - rejected)
            signedMargins += chosen - rejected
            chosenTotal += chosen
            rejectedTotal += rejected
            all.append(chosen)
            all.append(rejected)
        }
        let mean = all.reduce(0, +) / Double(all.count)
        let variance = all.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(all.count - 1)
        self.init(
            pairs: pairs.count,
            accuracy: (wins + ties / 2) / count,
            strictAccuracy: wins / count,
            normalizedMargin: (absoluteMargins / count) / (variance.squareRoot() + 1e-8),
            meanMargin: signedMargins / count,
            meanChosenReward: chosenTotal / count,
            meanRejectedReward: rejectedTotal / count)
    }

    public init(pairs: Int, accuracy: Double, strictAccuracy: Double, normalizedMargin: Double, meanMargin: Double,
                meanChosenReward: Double, meanRejectedReward: Double)
    {
        self.pairs = pairs
        self.accuracy = accuracy
        self.strictAccuracy = strictAccuracy
        self.normalizedMargin = normalizedMargin
        self.meanMargin = meanMargin
        self.meanChosenReward = meanChosenReward
        self.meanRejectedReward = meanRejectedReward
    }

    private enum CodingKeys: String, CodingKey {
        case pairs, accuracy, strictAccuracy, normalizedMargin, meanMargin, meanChosenReward, meanRejectedReward
    }

    /// Figures of an empty set are written as null (they are undefined, not zero).
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(pairs, forKey: .pairs)
        func figure(_ value: Double, _ key: CodingKeys) throws {
            if pairs == 0 { try container.encodeNil(forKey: key) } else { try container.encode(value, forKey: key) }
        }
        try figure(accuracy, .accuracy)
        try figure(strictAccuracy, .strictAccuracy)
        try figure(normalizedMargin, .normalizedMargin)
        try figure(meanMargin, .meanMargin)
        try figure(meanChosenReward, .meanChosenReward)
        try figure(meanRejectedReward, .meanRejectedReward)
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        pairs = try container.decode(Int.self, forKey: .pairs)
        func figure(_ key: CodingKeys) throws -> Double { try container.decodeIfPresent(Double.self, forKey: key) ?? .nan }
        accuracy = try figure(.accuracy)
        strictAccuracy = try figure(.strictAccuracy)
        normalizedMargin = try figure(.normalizedMargin)
        meanMargin = try figure(.meanMargin)
        meanChosenReward = try figure(.meanChosenReward)
        meanRejectedReward = try figure(.meanRejectedReward)
    }
}
