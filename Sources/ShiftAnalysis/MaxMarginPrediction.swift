import LinearAlgebra

/// Theorem 2's EX-RM prediction for evaluation pairs: with u* the max-margin separator of the training
/// differences, an evaluation pair with difference zbar is eventually ranked correctly by a gradient-
/// trained head when <u*, zbar> > 0, and eventually ranked wrongly when it is < 0.
///
/// For each row zbar_j: the inner product <u*, zbar_j>, the cosine <u*, zbar_j> / (|u*| |zbar_j|) (0 for a
/// zero row), and whether the pair is predicted correct (inner product > 0, strictly).
///
/// Mathematical properties:
/// - cosines lie in [-1, 1]; the signs of inner products and cosines agree;
/// - scaling u* by c > 0 scales inner products by c and leaves cosines and predictions unchanged;
/// - for training rows z_i the inner products are >= 1 (feasibility of u*), so the training pairs are
///   all predicted correct;
/// - a NaN inner product gives a NaN cosine (never a clamped +-1 or a 0) and a NaN fraction.
public struct MaxMarginPrediction: Sendable {
    public let innerProducts: [Double]
    public let cosines: [Double]
    public let predictedCorrect: [Bool]

    public init(separator: [Double], differences: Matrix) {
        precondition(separator.count == differences.columns,
                     "separator has \(separator.count) entries, differences are \(differences.rows) x \(differences.columns)")
        let products = BLAS.product(differences, separator)
        let separatorNorm = BLAS.norm(separator)
        innerProducts = products
        cosines = products.indices.map { j in
            Self.clampedCosine(products[j], norms: separatorNorm * BLAS.norm(differences.row(j)))
        }
        predictedCorrect = products.map { $0 > 0 }
    }

    /// Fraction of rows with <u*, zbar> > 0 (NaN with no rows, or with a NaN inner product).
    public var predictedCorrectFraction: Double {
        NaNPropagating.fraction(innerProducts) { $0 > 0 }
    }

    /// cos(u, v) = <u, v> / (|u| |v|), 0 when either is zero, NaN when an entry is NaN.
    public static func cosine(_ u: [Double], _ v: [Double]) -> Double {
        clampedCosine(BLAS.dot(u, v), norms: BLAS.norm(u) * BLAS.norm(v))
    }

    /// product / norms clamped to [-1, 1]; 0 for zero norms; NaN stays NaN (Swift's min(1, .nan) is 1).
    private static func clampedCosine(_ product: Double, norms: Double) -> Double {
        if product.isNaN || norms.isNaN { return .nan }
        return norms > 0 ? max(-1, min(1, product / norms)) : 0
    }
}
