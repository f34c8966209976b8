import LinearAlgebra

/// An EX-RM head trained on the training differences alone: full-batch gradient descent on the
/// Bradley-Terry loss L(u) = (1/n) sum_i softplus(-<u, z_i>), i.e.
///
///   u <- u + (eta / n) Z^T sigma(-Z u),      Z (n x d) with rows z_i = h_i+ - h_i-.
///
/// This is the same step as `ExplicitRewardModel` with the last-position readout (its gradient
/// sum_seq c(seq) h_seq regroups into sum_i s_i z_i), at O(n d) per step instead of O(S d) over every
/// sequence, so long runs stay cheap (Theorem 2's direction converges only like 1/log t).
///
/// Mathematical properties:
/// - equal to `ExplicitRewardModel`'s head (last position) step for step, to rounding;
/// - for separable rows and a small enough eta, every margin <u, z_i> eventually grows without bound,
///   |u(t)| grows like log t, and u(t)/|u(t)| -> u*/|u*| for the max-margin separator u* (Soudry et al.
///   2018), with the cosine rising like 1 - O(1/log t).
///
/// A step throws `DivergenceError` as soon as a training margin or the updated head is not finite.
public struct ExplicitHeadDescent: Sendable {
    /// Z, n x d.
    public let differences: Matrix
    /// u, length d.
    public private(set) var head: [Double]
    /// Steps taken so far.
    public private(set) var stepsTaken = 0

    public init(differences: Matrix, head: [Double]) {
        precondition(head.count == differences.columns,
                     "head has \(head.count) entries, differences are \(differences.rows) x \(differences.columns)")
        precondition(differences.rows > 0, "need at least one training difference")
        self.differences = differences
        self.head = head
    }

    /// <u, z_i> for every training pair.
    public func margins() -> [Double] {
        BLAS.product(differences, head)
    }

    /// The Bradley-Terry loss at u.
    public func loss() -> Double {
        margins().reduce(0) { $0 + StableMath.softplus(-$1) } / Double(differences.rows)
    }

    /// One full-batch gradient step. Throws `DivergenceError` when a margin (before the step) or the head
    /// (after it) is not finite.
    public mutating func step(learningRate: Double) throws(DivergenceError) {
        let margins = margins()                                               // n: <u, z_i>
        try DivergenceError.check(margins, .reward, model: Self.label, step: stepsTaken, cause: likelyCause(learningRate))
        let weights = margins.map { StableMath.sigmoid(-$0) }                 // n: s_i
        let direction = BLAS.product(differences, transposeA: true, weights)  // d: Z^T s
        BLAS.axpy(learningRate / Double(differences.rows), direction, &head)
        stepsTaken += 1
        try DivergenceError.check(head, .parameter, model: Self.label, step: stepsTaken, cause: likelyCause(learningRate))
    }

    /// The name in a `DivergenceError`.
    public static let label = "ex_rm (head on the training differences)"

    private func likelyCause(_ learningRate: Double) -> DivergenceError.Cause {
        DivergenceError.likelyCause(learningRate: learningRate,
                                    largestSquaredNorm: DivergenceError.largestSquaredRowNorm(differences))
    }
}
