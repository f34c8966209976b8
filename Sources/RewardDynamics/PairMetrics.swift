/// How well rewards rank a set of preference pairs.
///
/// - accuracy = P[r+ > r-] + 1/2 P[r+ = r-] (ties count half, so an all-zero reward scores exactly 0.5);
/// - strict accuracy = P[r+ > r-];
/// - normalized margin = mean |r+ - r-| / (unbiased std of all 2n rewards + 1e-8).
///
/// Mathematical properties: accuracy and strict accuracy lie in [0, 1] with strict <= accuracy; all
/// rewards equal gives accuracy 0.5, strict accuracy 0 and normalized margin 0; a NaN reward in any
/// pair makes every figure NaN (never a count that treats the NaN as a loss).
public struct PairMetrics: Sendable, Equatable, Codable {
    public let accuracy: Double
    public let strictAccuracy: Double
    public let normalizedMargin: Double
    public let meanChosenReward: Double
    public let meanRejectedReward: Double

    enum CodingKeys: String, CodingKey {
        case accuracy
        case strictAccuracy = "strict_accuracy"
        case normalizedMargin = "normalized_margin"
        case meanChosenReward = "mean_chosen_reward"
        case meanRejectedReward = "mean_rejected_reward"
    }

    public init(rewards: [Double], pairs: [IndexedPair]) {
        guard !pairs.isEmpty else {
            self.init(accuracy: .nan, strictAccuracy: .nan, normalizedMargin: .nan, meanChosenReward: .nan,
                      meanRejectedReward: .nan)
            return
        }
        let count = Double(pairs.count)
        var wins = 0.0
        var ties = 0.0
        var absoluteMargins = 0.0
        var chosenTotal = 0.0
        var rejectedTotal = 0.0
        var all: [Double] = []
        all.reserveCapacity(2 * pairs.count)
        for pair in pairs {
            let chosen = rewards[pair.chosen]
            let rejected = rewards[pair.rejected]
            if chosen.isNaN || rejected.isNaN {
                self.init(accuracy: .nan, strictAccuracy: .nan, normalizedMargin: .nan, meanChosenReward: .nan,
                          meanRejectedReward: .nan)
                return
            }
            if chosen > rejected { wins += 1 } else if chosen == rejected { ties += 1 }
            absoluteMargins += abs(chosen - rejected)
            chosenTotal += chosen
            rejectedTotal += rejected
            all.append(chosen)
            all.append(rejected)
        }
        let mean = all.reduce(0, +) / Double(all.count)
        let variance = all.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(all.count - 1)
        self.init(
            accuracy: (wins + ties / 2) / count,
            strictAccuracy: wins / count,
            normalizedMargin: (absoluteMargins / count) / (variance.squareRoot() + 1e-8),
            meanChosenReward: chosenTotal / count,
            meanRejectedReward: rejectedTotal / count)
    }

    public init(accuracy: Double, strictAccuracy: Double, normalizedMargin: Double, meanChosenReward: Double,
                meanRejectedReward: Double)
    {
        self.accuracy = accuracy
        self.strictAccuracy = strictAccuracy
        self.normalizedMargin = normalizedMargin
        self.meanChosenReward = meanChosenReward
        self.meanRejectedReward = meanRejectedReward
    }
}
