import LinearAlgebra
import RewardDynamics

/// The learning rates `analyze --steps T` trains both read-outs with when none are given.
///
/// EX-RM: eta_EX = 1 / lambda with lambda = |Z|_2^2 / (4 n), Z the training differences (n x d): the
/// Bradley-Terry loss's Hessian is at most lambda (sigma' <= 1/4), so gradient descent at eta_EX lowers the
/// loss at every step (it is stable up to 2 / lambda; docs/theory.md §4). Unlike a fixed rate, it does
/// not depend on the scale of the model's hidden states.
///
/// IM-RM: eta_IM = eta_EX |grad L_EX|^2 / |grad L_IM|^2 at the starting point, so that both first steps
/// lower the training loss by the same first-order amount (eta |grad L|^2). The usual eta / beta^2
/// (`LearningRates`) matches the two reward scales only for one-token responses at a shared prompt;
/// with L-token responses the IM-RM's kernel sums L^2 context pairs, and eta / beta^2 diverges.
///
/// Mathematical properties:
/// - eta_EX scales like 1 / |h|^2 when every state is scaled; eta_IM is invariant to scaling Z alone;
/// - both are positive and finite for a non-zero gradient (else the fallbacks below).
public enum PredictionLearningRates {
    /// 1 / (|Z|_2^2 / (4n)), |Z|_2 from the eigenvalues of Z Z^T (n x n) or, for more than 2048 pairs, by
    /// power iteration on Z^T Z. 1 when Z is zero.
    public static func explicitDefault(differences z: Matrix) -> Double {
        let top = largestSquaredSingularValue(z)
        guard top > 0, top.isFinite else { return 1 }
        return 4 * Double(z.rows) / top
    }

    /// eta_EX |grad L_EX|^2 / |grad L_IM|^2; eta_EX / beta^2 when the IM-RM gradient is zero or not finite.
    public static func implicitDefault(explicitRate: Double, explicitGradientSquaredNorm: Double,
                                       implicitGradientSquaredNorm: Double, beta: Double) -> Double
    {
        guard implicitGradientSquaredNorm > 0, implicitGradientSquaredNorm.isFinite,
              explicitGradientSquaredNorm > 0, explicitGradientSquaredNorm.isFinite
        else { return explicitRate / (beta * beta) }
        return explicitRate * explicitGradientSquaredNorm / implicitGradientSquaredNorm
    }

    /// The largest eigenvalue of Z^T Z.
    static func largestSquaredSingularValue(_ z: Matrix) -> Double {
        if z.rows == 0 || z.columns == 0 { return 0 }
        if z.rows <= 2048, let decomposition = try? SymmetricEigendecomposition(BLAS.gram(z)) {
            return decomposition.eigenvalues.last ?? 0
        }
        // Power iteration from Z^T 1 (the first gradient direction at a zero head).
        var vector = BLAS.product(z, transposeA: true, [Double](repeating: 1, count: z.rows))
        var estimate = 0.0
        for _ in 0..<500 {
            let norm = BLAS.norm(vector)
            guard norm > 0 else { return 0 }
            vector = vector.map { $0 / norm }
            let image = BLAS.product(z, transposeA: true, BLAS.product(z, vector))
            let next = BLAS.dot(vector, image)
            if abs(next - estimate) <= 1e-12 * next { return next }
            estimate = next
            vector = image
        }
        return estimate
    }
}
