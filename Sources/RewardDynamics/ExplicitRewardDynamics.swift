import LinearAlgebra

/// EX-RM trained in function space: rewards evolve in closed form from a Gram matrix of
/// representations, without a head vector (docs/theory.md §3).
///
/// r(t+1) = r(t) + (eta / n) K c(t), K[seq, j] = <phi(seq), phi(train sequence j)>, where c(t) are the
/// Bradley-Terry coefficients of the training sequences at step t. Writing c through pairs gives the
/// form of docs/theory.md, m(t+1) = m(t) + (eta / n) Z Z^T sigma(-m(t)) with Z the differences.
///
/// Mathematical properties:
/// - equal to `ExplicitRewardModel` trained on the same data at every step (to rounding), because the
///   reward is linear in the head;
/// - K restricted to training sequences is symmetric positive semidefinite.
public struct ExplicitRewardDynamics: Sendable {
    /// K, sequences x training sequences.
    public let kernel: Matrix
    public private(set) var rewards: [Double]
    private let trainSequences: [Int]
    private let trainPairs: [IndexedPair]

    public init(layout: SequenceLayout, readout: ExplicitReadout, initialHead: [Double]) {
        let features = readout.features(of: layout)
        kernel = BLAS.product(features, features.selectingRows(layout.trainSequences), transposeB: true)
        rewards = BLAS.product(features, initialHead)
        trainSequences = layout.trainSequences
        trainPairs = layout.trainPairs
    }

    /// The change one step would make to every reward: (eta / n) K c. Exact, since r is linear in u.
    public func predictedStep(learningRate: Double) -> [Double] {
        let gradient = BradleyTerryGradient(rewards: rewards, pairs: trainPairs)
        return change(for: gradient, learningRate: learningRate)
    }

    @discardableResult
    public mutating func step(learningRate: Double) -> BradleyTerryGradient {
        let gradient = BradleyTerryGradient(rewards: rewards, pairs: trainPairs)
        let delta = change(for: gradient, learningRate: learningRate)
        for index in rewards.indices { rewards[index] += delta[index] }
        return gradient
    }

    private func change(for gradient: BradleyTerryGradient, learningRate: Double) -> [Double] {
        let coefficients = trainSequences.map { gradient.sequenceCoefficients[$0] }
        let scale = learningRate / Double(trainPairs.count)
        return BLAS.product(kernel, coefficients).map { scale * $0 }
    }
}
