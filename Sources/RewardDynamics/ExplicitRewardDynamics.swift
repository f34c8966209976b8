import LinearAlgebra

/// EX-RM trained in function space: rewards evolve in closed form from a Gram matrix of
/// representations, without a head vector (docs/theory.md §3).
///
/// r(t+1) = r(t) + (eta / n) K c(t), K[seq, j] = <phi(seq), phi(train sequence j)>, where c(t) are the
/// Bradley-Terry coefficients of the training sequences at step t. Writing c through pairs gives the
/// form of docs/theory.md, m(t+1) = m(t) + (eta / n) Z Z^T sigma(-m(t)) with Z the differences.
///
/// K is a `CrossGramMatrix`: held whole up to 256 MiB (sequences x training sequences x 8 bytes), else
/// recomputed block by block of rows at every step, so memory stays linear in the number of sequences.
///
/// Mathematical properties:
/// - equal to `ExplicitRewardModel` trained on the same data at every step (to rounding), because the
///   reward is linear in the head;
/// - K restricted to training sequences is symmetric positive semidefinite.
///
/// A step throws `DivergenceError` as soon as a reward or the loss is not finite.
public struct ExplicitRewardDynamics: Sendable {
    /// K, sequences x training sequences.
    public let kernel: CrossGramMatrix
    public private(set) var rewards: [Double]
    /// Steps taken so far.
    public private(set) var stepsTaken = 0
    private let readout: ExplicitReadout
    private let trainSequences: [Int]
    private let trainPairs: [IndexedPair]

    /// `budget`: the largest K kept whole and the size of its blocks otherwise (see `CrossGramMatrix`).
    public init(layout: SequenceLayout, readout: ExplicitReadout, initialHead: [Double],
                budget: CrossGramMatrix.Budget = .standard)
    {
        let features = readout.features(of: layout)
        kernel = CrossGramMatrix(left: features, right: features.selectingRows(layout.trainSequences), budget: budget)
        rewards = BLAS.product(features, initialHead)
        self.readout = readout
        trainSequences = layout.trainSequences
        trainPairs = layout.trainPairs
    }

    /// "ex_rm (closed form)" or "ex_rm_mean (closed form)", the name in a `DivergenceError`.
    public var label: String { "\(readout.kind.rawValue) (closed form)" }

    /// The change one step would make to every reward: (eta / n) K c. Exact, since r is linear in u.
    /// Throws `DivergenceError` when a reward, the loss or a predicted change is not finite.
    public func predictedStep(learningRate: Double) throws(DivergenceError) -> [Double] {
        let gradient = BradleyTerryGradient(rewards: rewards, pairs: trainPairs)
        try gradient.checkFinite(model: label, step: stepsTaken, cause: likelyCause(learningRate))
        let change = change(for: gradient, learningRate: learningRate)
        try DivergenceError.check(change, .rewardChange, model: label, step: stepsTaken, cause: likelyCause(learningRate))
        return change
    }

    @discardableResult
    public mutating func step(learningRate: Double) throws(DivergenceError) -> BradleyTerryGradient {
        let gradient = BradleyTerryGradient(rewards: rewards, pairs: trainPairs)
        try gradient.checkFinite(model: label, step: stepsTaken, cause: likelyCause(learningRate))
        let delta = change(for: gradient, learningRate: learningRate)
        for index in rewards.indices { rewards[index] += delta[index] }
        stepsTaken += 1
        try DivergenceError.check(rewards, .reward, model: label, step: stepsTaken, cause: likelyCause(learningRate))
        return gradient
    }

    private func change(for gradient: BradleyTerryGradient, learningRate: Double) -> [Double] {
        let coefficients = trainSequences.map { gradient.sequenceCoefficients[$0] }
        let scale = learningRate / Double(trainPairs.count)
        return kernel.product(coefficients).map { scale * $0 }
    }

    private func likelyCause(_ learningRate: Double) -> DivergenceError.Cause {
        DivergenceError.likelyCause(learningRate: learningRate,
                                    largestSquaredNorm: DivergenceError.largestSquaredRowNorm(kernel.left))
    }
}
