import LinearAlgebra

/// The certified max-margin separator of strictly separable rows z_i, as returned by `HardMarginSVM`.
///
/// Mathematical properties (all checked by the solver or the tests):
/// - `separator` = u* = sum_i a_i z_i with a_i >= 0, and a_i > 0 only where <u*, z_i> = 1 (`kkt`);
/// - `margin` = 1 / |u*| = min_i <u*, z_i> / |u*|, the largest geometric margin of any separator through
///   the origin, and the distance from the origin to conv{z_i};
/// - sum_i a_i = |u*|^2 (multiply stationarity by u* and use complementary slackness).
public struct MaxMarginSolution: Sendable, Equatable {
    /// u*, length d.
    public let separator: [Double]
    /// 1 / |u*|.
    public let margin: Double
    /// a, length n, a_i >= 0.
    public let dualWeights: [Double]
    /// Ascending indices i with a_i > kktTolerance * max_j a_j: the support vectors.
    public let supportIndices: [Int]
    /// The KKT conditions measured at (u*, a) before returning.
    public let kkt: KKTReport
    /// Active-set changes the solver made.
    public let iterations: Int
    /// The method that produced it.
    public let method: MaxMarginMethod

    /// u* / |u*|, the direction gradient descent on the logistic loss converges to.
    public var direction: [Double] {
        let length = BLAS.norm(separator)
        return separator.map { $0 / length }
    }
}

/// A certificate that the rows z_i admit no separator through the origin, at working precision.
///
/// Weights lambda_i >= 0 with sum_i lambda_i = 1 such that w = Z^T lambda = sum_i lambda_i z_i is (near) 0.
/// It proves: for every u with <u, z_i> >= 1 for all i, 1 <= sum_i lambda_i <u, z_i> = <u, w> <= |u| |w|,
/// so |u| >= 1 / |w|, i.e. every separator has geometric margin at most `residual` = |w|. With
/// `residual` = 0 no separator exists at all (Gordan's theorem of the alternative).
///
/// Mathematical properties:
/// - lambda_i >= 0 and sum_i lambda_i = 1 to rounding;
/// - `residual` = |Z^T lambda| is recomputed from `hullWeights`, not taken from the solver, and is at most
///   2 * separabilityTolerance * R (else the solver throws `nonSeparabilityUnconfirmed`).
public struct NonSeparabilityCertificate: Sendable, Equatable, CustomStringConvertible {
    /// lambda, length n: convex weights.
    public let hullWeights: [Double]
    /// |Z^T lambda|, an upper bound on the geometric margin of every separator.
    public let residual: Double
    /// R = max_i |z_i|.
    public let dataScale: Double
    /// Ascending indices with lambda_i > 0.
    public let supportIndices: [Int]
    /// Active-set changes the solver made.
    public let iterations: Int
    /// The method that produced it.
    public let method: MaxMarginMethod

    /// residual / R (0 when all rows are 0).
    public var relativeResidual: Double {
        dataScale > 0 ? residual / dataScale : 0
    }

    public var description: String {
        let shown = supportIndices.prefix(8).map(String.init).joined(separator: ", ")
        let more = supportIndices.count > 8 ? ", ..." : ""
        return "not separable through the origin: a convex combination of \(supportIndices.count) rows "
            + "(indices \(shown)\(more)) has norm \(residual) (relative to max |z_i|: \(relativeResidual)), "
            + "so no u has <u, z_i> >= 1 for all i with |u| < 1 / \(residual)"
    }
}

/// What `HardMarginSVM.solve` found: a certified separator, or a certificate that none exists.
public enum MaxMarginOutcome: Sendable, Equatable {
    case separable(MaxMarginSolution)
    case nonSeparable(NonSeparabilityCertificate)

    /// The solution, or nil for non-separable data.
    public var solution: MaxMarginSolution? {
        if case let .separable(solution) = self { return solution }
        return nil
    }

    /// The certificate, or nil for separable data.
    public var certificate: NonSeparabilityCertificate? {
        if case let .nonSeparable(certificate) = self { return certificate }
        return nil
    }
}
