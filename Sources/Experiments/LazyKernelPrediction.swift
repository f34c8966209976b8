import LinearAlgebra
import RewardDynamics

/// The linearized ("lazy") reward model: gradient descent's function-space dynamics with the tangent
/// kernel frozen at its initial value K_0 (docs/theory.md §7; the neural-tangents prediction of a trained
/// network, here for the Bradley-Terry loss instead of the squared error):
///
///     r(t + 1) = r(t) + (eta / n) K_0 c(r(t)),    c_s(r) = sum_{i: s = y_i+} sigma(-m_i) - sum_{i: s = y_i-} sigma(-m_i),
///
/// so that the margins follow m(t + 1) = m(t) + (eta / n) K_pairs sigma(-m(t)) and every other sequence's
/// reward follows them. Built once from K_0, it is a pure predictor of time: `rewards(at:)`.
///
/// Mathematical properties (tested): at t = 0 it returns the initial rewards exactly; for a model linear
/// in its trainable parameters (an EX-RM with the backbone frozen: r = <u, h>, h fixed) it equals actual
/// gradient descent to rounding.
public struct LazyKernelPrediction: Sendable {
    /// K_0 over the items (items x items); only the columns of training sequences are read.
    public let kernel: Matrix
    public let initialRewards: [Double]
    public let trainPairs: [IndexedPair]
    public let learningRate: Double
    private let trainSequences: [Int]

    public init(kernel: Matrix, initialRewards: [Double], trainPairs: [IndexedPair], learningRate: Double) {
        precondition(kernel.rows == initialRewards.count && kernel.columns == initialRewards.count,
                     "a \(kernel.rows) x \(kernel.columns) kernel for \(initialRewards.count) rewards")
        precondition(!trainPairs.isEmpty, "the lazy prediction needs training pairs")
        self.kernel = kernel
        self.initialRewards = initialRewards
        self.trainPairs = trainPairs
        self.learningRate = learningRate
        trainSequences = Set(trainPairs.flatMap { [$0.chosen, $0.rejected] }).sorted()
    }

    /// The predicted rewards of every item after each of `steps` (ascending, each >= 0).
    public func rewards(at steps: [Int]) -> [[Double]] {
        precondition(steps.allSatisfy { $0 >= 0 } && steps == steps.sorted(), "steps must be ascending and >= 0, got \(steps)")
        var rewards = initialRewards
        var result: [[Double]] = []
        var step = 0
        let scale = learningRate / Double(trainPairs.count)
        for target in steps {
            while step < target {
                let coefficients = BradleyTerryGradient(rewards: rewards, pairs: trainPairs).sequenceCoefficients
                var change = [Double](repeating: 0, count: rewards.count)
                for column in trainSequences where coefficients[column] != 0 {
                    let weight = scale * coefficients[column]
                    for row in rewards.indices { change[row] += weight * kernel[row, column] }
                }
                for row in rewards.indices { rewards[row] += change[row] }
                step += 1
            }
            result.append(rewards)
        }
        return result
    }
}
