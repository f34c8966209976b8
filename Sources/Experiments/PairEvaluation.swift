import RewardDynamics
import TinyLM

extension TinyLMRewardModel {
    /// Accuracy (ties 1/2), normalized margin and mean rewards of `pairs` (RewardDynamics' `PairMetrics`),
    /// scoring each distinct prompt-response sequence once.
    public func metrics(on pairs: [TokenPreferencePair], batchSize: Int = 64) throws -> PairMetrics {
        var interner = SequenceInterner()
        let indexed = interner.indexed(pairs)
        return PairMetrics(rewards: try rewards(interner.items, batchSize: batchSize), pairs: indexed)
    }
}

/// Mean and unbiased standard deviation of a statistic over seeds (sd 0 for a single seed).
public struct MeanAndSpread: Codable, Equatable, Sendable {
    public let mean: Double
    public let sd: Double

    public init(_ values: [Double]) {
        precondition(!values.isEmpty, "a mean over no seeds")
        let mean = values.reduce(0, +) / Double(values.count)
        self.mean = mean
        if values.count < 2 {
            sd = 0
        } else {
            sd = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
        }
    }
}
