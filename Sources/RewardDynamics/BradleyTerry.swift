import LinearAlgebra

/// The Bradley-Terry loss and its gradient with respect to every sequence's reward.
///
/// L = (1/n) sum_i -ln sigma(r(x_i, y_i+) - r(x_i, y_i-)), computed as softplus(-m_i) (stable for any
/// margin). With s_i = sigma(r_i- - r_i+), dL/dr(seq) = -(1/n) c(seq), where
/// c(seq) = sum_{i: seq chosen} s_i - sum_{i: seq rejected} s_i.
/// One full-batch gradient-descent step on any read-out theta is therefore
/// theta <- theta + (eta / n) sum_seq c(seq) grad_theta r(seq).
///
/// Mathematical properties:
/// - L >= 0, and L = ln 2 when every margin is 0;
/// - s_i in (0, 1), and sum_seq c(seq) = 0 (every s_i enters once with each sign).
public struct BradleyTerryGradient: Sendable {
    /// The rewards the gradient was evaluated at, one per sequence.
    public let rewards: [Double]
    /// The mean loss L.
    public let loss: Double
    /// s_i = sigma(r_i- - r_i+), one per training pair.
    public let pairWeights: [Double]
    /// c(seq), one per sequence of the layout (zero for sequences in no training pair).
    public let sequenceCoefficients: [Double]

    public init(rewards: [Double], pairs: [IndexedPair]) {
        var coefficients = [Double](repeating: 0, count: rewards.count)
        var weights: [Double] = []
        weights.reserveCapacity(pairs.count)
        var total = 0.0
        for pair in pairs {
            let margin = rewards[pair.chosen] - rewards[pair.rejected]
            total += StableMath.softplus(-margin)
            let weight = StableMath.sigmoid(-margin)
            weights.append(weight)
            coefficients[pair.chosen] += weight
            coefficients[pair.rejected] -= weight
        }
        self.rewards = rewards
        loss = pairs.isEmpty ? 0 : total / Double(pairs.count)
        pairWeights = weights
        sequenceCoefficients = coefficients
    }

    /// Throws `DivergenceError` when a reward (checked first: a NaN reward makes the loss NaN too) or the
    /// loss is not finite. O(sequences), so every step of every simulator can afford it.
    public func checkFinite(model: @autoclosure () -> String, step: Int,
                            cause: @autoclosure () -> DivergenceError.Cause) throws(DivergenceError)
    {
        try DivergenceError.check(rewards, .reward, model: model(), step: step, cause: cause())
        try DivergenceError.check(loss, .loss, model: model(), step: step, cause: cause())
    }
}
