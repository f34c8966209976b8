/// The two solvers of `HardMarginSVM`.
public enum MaxMarginMethod: String, Codable, Sendable, CaseIterable {
    /// Primary: Wolfe's minimum-norm-point algorithm on conv{z_i}, with an updated QR factorisation, and a
    /// final exact solve on the support. Fast at n in the thousands and d up to about a thousand.
    case minimumNormPoint
    /// Cross-check: the Goldfarb-Idnani dual active-set method on the primal QP, refactorising the active
    /// Gram block with LAPACK at every step. Simple and independent of the primary; meant for n, d up to
    /// a few hundred.
    case goldfarbIdnani
}

/// Tolerances and limits of `HardMarginSVM.solve`, with a reason for each default.
public struct MaxMarginOptions: Codable, Sendable, Equatable {
    /// Largest accepted relative KKT violation (each violation divided by its natural scale, see
    /// `KKTReport`). 1e-9: the solvers reach 1e-16 on well-conditioned data and 1e-12 on rows whose
    /// columns differ in scale by 1e4, which leaves room for ill-conditioned support sets, while a wrong
    /// support or a wrong vector violates some condition at order 1e-3 or more.
    public var kktTolerance: Double
    /// The data count as non-separable when the distance from the origin to conv{z_i}, which is the best
    /// achievable geometric margin, is at most this times R = max_i |z_i|. 1e-9: such rows are within a
    /// relative perturbation of 1e-9 of non-separable rows, far below the rounding of hidden states
    /// computed in single precision (6e-8), so separability is not a property of the data there; and the
    /// solvers, whose errors grow like eps cond, start to fail their KKT check on strongly anisotropic
    /// rows with relative margins near 1e-8 (they throw; they never return an uncertified answer).
    public var separabilityTolerance: Double
    /// Cap on iterations (active-set changes); nil means 50 (n + d) + 1000, far above what either method
    /// needs on the sizes tested (under 3 (n + d)), so reaching it signals a numerical failure.
    public var maximumIterations: Int?

    public init(kktTolerance: Double = 1e-9, separabilityTolerance: Double = 1e-9, maximumIterations: Int? = nil) {
        self.kktTolerance = kktTolerance
        self.separabilityTolerance = separabilityTolerance
        self.maximumIterations = maximumIterations
    }

    /// The defaults above.
    public static let standard = MaxMarginOptions()

    /// The iteration cap for an n x d problem.
    func iterationLimit(rows n: Int, columns d: Int) -> Int {
        maximumIterations ?? (50 * (n + d) + 1000)
    }
}
