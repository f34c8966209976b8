import TheorycheckCore
import LinearAlgebra

/// Which hidden representation an explicit reward model's head reads.
public enum ExplicitReadout: Sendable {
    case lastPosition
    case meanPooled

    /// One row of features per sequence of the layout.
    public func features(of layout: SequenceLayout) -> Matrix {
        switch self {
        case .lastPosition: return layout.lastPosition
        case .meanPooled: return layout.meanPooled
        }
    }

    /// The reward model that reads this feature.
    public var kind: RewardModelKind {
        switch self {
        case .lastPosition: return .explicit
        case .meanPooled: return .explicitMeanPooled
        }
    }
}

/// EX-RM trained in parameter space: the head u itself, by full-batch gradient descent on the
/// Bradley-Terry loss (docs/theory.md §§1-2).
///
/// r(seq) = <u, phi(seq)> with phi the readout's feature; one step is
/// u <- u + (eta / n) sum_seq c(seq) phi(seq) (see `BradleyTerryGradient`).
///
/// Mathematical properties:
/// - the reward is linear in u, so the step's effect on every reward is exactly
///   Delta r(seq) = (eta / n) sum_i s_i <phi(seq), phi(y_i+) - phi(y_i-)>: only inner products of
///   representations enter, never token identity (`ExplicitRewardDynamics` evolves exactly this).
///
/// A step throws `DivergenceError` as soon as a reward, the loss or the updated head is not finite.
public struct ExplicitRewardModel: Sendable {
    public let readout: ExplicitReadout
    /// phi, one row per sequence.
    public let features: Matrix
    public private(set) var head: [Double]
    /// Steps taken so far.
    public private(set) var stepsTaken = 0
    private let trainPairs: [IndexedPair]

    public init(layout: SequenceLayout, readout: ExplicitReadout, head: [Double]) {
        precondition(head.count == layout.contexts.columns,
                     "head has \(head.count) entries, representations have \(layout.contexts.columns)")
        self.readout = readout
        features = readout.features(of: layout)
        self.head = head
        trainPairs = layout.trainPairs
    }

    /// r(seq) for every sequence.
    public func rewards() -> [Double] {
        BLAS.product(features, head)
    }

    /// One full-batch gradient step; returns the loss and weights at the point the step was taken from.
    /// Throws `DivergenceError` (and leaves the model unusable) when a reward, the loss or the new head
    /// is not finite.
    @discardableResult
    public mutating func step(learningRate: Double) throws(DivergenceError) -> BradleyTerryGradient {
        let gradient = BradleyTerryGradient(rewards: rewards(), pairs: trainPairs)
        try gradient.checkFinite(model: readout.kind.rawValue, step: stepsTaken, cause: likelyCause(learningRate))
        let direction = BLAS.product(features, transposeA: true, gradient.sequenceCoefficients)
        BLAS.axpy(learningRate / Double(trainPairs.count), direction, &head)
        stepsTaken += 1
        try DivergenceError.check(head, .parameter, model: readout.kind.rawValue, step: stepsTaken,
                                  cause: likelyCause(learningRate))
        return gradient
    }

    private func likelyCause(_ learningRate: Double) -> DivergenceError.Cause {
        DivergenceError.likelyCause(learningRate: learningRate,
                                    largestSquaredNorm: DivergenceError.largestSquaredRowNorm(features))
    }
}
