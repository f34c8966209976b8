import LinearAlgebra

/// The Karush-Kuhn-Tucker conditions of min |u|^2 s.t. <u, z_i> >= 1, measured at a candidate (u, a).
///
/// The Lagrangian 1/2 |u|^2 - sum_i a_i (<u, z_i> - 1) gives four conditions, all necessary and (the
/// problem being convex) sufficient for (u, a) to be optimal:
///   primal feasibility      min_i <u, z_i> - 1 >= 0,
///   dual feasibility        min_i a_i >= 0,
///   complementary slackness a_i (<u, z_i> - 1) = 0 for all i,
///   stationarity            u = Z^T a.
/// Each raw value is divided by its natural scale to give a relative violation, with R = max_i |z_i|:
/// a constraint value <u, z_i> is at most R |u| in size, a weight a_i at most max_j a_j, and Z^T a is a
/// sum of terms a_i z_i of total size at most R sum_i |a_i|.
///
/// Mathematical properties:
/// - at the exact optimum every relative violation is 0; at a computed one, a few eps times the
///   condition number of the support Gram matrix;
/// - the report is invariant under Z -> c Z, u -> u / c, a -> a / c^2 (all ratios are scale-free);
/// - a zero raw value gives a zero relative value even where its scale is 0.
public struct KKTReport: Sendable, Equatable, Codable, CustomStringConvertible {
    /// min_i <u, z_i> - 1; negative when some constraint is violated.
    public let primalFeasibility: Double
    /// min_i a_i; negative when some weight is negative.
    public let dualFeasibility: Double
    /// max_i |a_i (<u, z_i> - 1)|.
    public let complementarySlackness: Double
    /// |u - Z^T a|.
    public let stationarity: Double
    /// R = max_i |z_i|.
    public let dataScale: Double
    /// |u|.
    public let separatorNorm: Double
    /// max_i a_i.
    public let largestDualWeight: Double
    /// sum_i |a_i|.
    public let dualWeightTotal: Double

    /// Measures the conditions at (u, a) for the rows of `z` (n x d, u of length d, a of length n).
    public init(rows z: Matrix, separator u: [Double], dualWeights a: [Double]) {
        precondition(u.count == z.columns, "KKT: Z is \(z.rows) x \(z.columns) but u has \(u.count) entries")
        precondition(a.count == z.rows, "KKT: Z is \(z.rows) x \(z.columns) but a has \(a.count) entries")
        let values = BLAS.product(z, u)  // n: <u, z_i>
        var residual = BLAS.product(z, transposeA: true, a)  // d: Z^T a
        BLAS.axpy(-1, u, &residual)  // d: Z^T a - u
        var minimumSlack = Double.infinity
        var slackness = 0.0
        var scaleSquared = 0.0
        for i in 0..<z.rows {
            let slack = values[i] - 1
            minimumSlack = min(minimumSlack, slack)
            slackness = max(slackness, abs(a[i] * slack))
        }
        z.elements.withUnsafeBufferPointer { p in
            for i in 0..<z.rows {
                var squared = 0.0
                for j in 0..<z.columns { squared += p[i * z.columns + j] * p[i * z.columns + j] }
                scaleSquared = max(scaleSquared, squared)
            }
        }
        primalFeasibility = minimumSlack
        dualFeasibility = a.min() ?? 0
        complementarySlackness = slackness
        stationarity = BLAS.norm(residual)
        dataScale = scaleSquared.squareRoot()
        separatorNorm = BLAS.norm(u)
        largestDualWeight = a.max() ?? 0
        dualWeightTotal = a.reduce(0) { $0 + abs($1) }
    }

    /// max(0, -primalFeasibility) / (R |u|).
    public var relativePrimalInfeasibility: Double {
        Self.ratio(max(0, -primalFeasibility), dataScale * separatorNorm)
    }

    /// max(0, -dualFeasibility) / max_i a_i.
    public var relativeDualInfeasibility: Double {
        Self.ratio(max(0, -dualFeasibility), max(0, largestDualWeight))
    }

    /// complementarySlackness / (R |u| max_i a_i).
    public var relativeComplementarySlackness: Double {
        Self.ratio(complementarySlackness, dataScale * separatorNorm * max(0, largestDualWeight))
    }

    /// stationarity / (R sum_i |a_i|), or / |u| when a = 0.
    public var relativeStationarity: Double {
        Self.ratio(stationarity, dualWeightTotal > 0 ? dataScale * dualWeightTotal : separatorNorm)
    }

    /// The largest of the four relative violations (NaN if any is NaN).
    public var worstRelativeViolation: Double {
        let all = [relativePrimalInfeasibility, relativeDualInfeasibility, relativeComplementarySlackness,
                   relativeStationarity]
        if all.contains(where: \.isNaN) { return .nan }
        return all.max()!
    }

    /// True when every relative violation is at most `tolerance` (false for NaN).
    public func isSatisfied(tolerance: Double) -> Bool {
        worstRelativeViolation <= tolerance
    }

    public var description: String {
        "KKT(primal min <u,z>-1 = \(primalFeasibility) [rel \(relativePrimalInfeasibility)], "
            + "dual min a = \(dualFeasibility) [rel \(relativeDualInfeasibility)], "
            + "slackness \(complementarySlackness) [rel \(relativeComplementarySlackness)], "
            + "stationarity \(stationarity) [rel \(relativeStationarity)])"
    }

    /// numerator / scale, with 0 / anything = 0 and positive / 0 = infinity.
    private static func ratio(_ numerator: Double, _ scale: Double) -> Double {
        if numerator == 0 { return 0 }
        if scale == 0 { return .infinity }
        return numerator / scale
    }
}
