import LinearAlgebra

/// The cross-check solver: the Goldfarb-Idnani dual active-set method on the primal QP
/// min 1/2 |u|^2 s.t. <u, z_i> >= 1 (D. Goldfarb & A. Idnani, "A numerically stable dual method for
/// solving strictly convex quadratic programs", Mathematical Programming 27, 1983), specialised to the
/// identity Hessian.
///
/// It starts at the unconstrained minimum u = 0 and keeps an active set A of linearly independent rows
/// with multipliers a_A >= 0 and u = Z_A^T a_A, <u, z_i> = 1 on A. Each outer step picks the most violated
/// row p and moves along
///     r = K_AA^{-1} Z_A z_p (dual direction),   s = z_p - Z_A^T r (primal direction, z_p projected off
///     the span of Z_A),
/// u <- u + t s, a_A <- a_A - t r, a_p <- a_p + t, with t the smaller of the full step
/// (1 - <u, z_p>) / |s|^2, which makes row p active, and the partial step min_{r_k > 0} a_k / r_k, which
/// drops the blocking row k. If s = 0 and r <= 0 no step is possible: z_p = sum_k r_k z_k with r_k <= 0 puts
/// 0 in the cone of the rows, so the problem is infeasible, and (1, -r) / (1 - sum r) are convex weights
/// whose hull point is 0. The dual objective rises at every step, so the method is finite.
///
/// Independent of the primary: it works on the constraints rather than on the hull, and refactorises
/// K_AA with LAPACK (dpotrf) at every step instead of updating a factor. That costs O(|A|^3 + |A|^2 d)
/// per step, fine for n, d up to a few hundred.
///
/// Mathematical properties:
/// - a_A >= 0 and u = Z_A^T a_A after every step; the rows in A stay linearly independent;
/// - at the end no inactive row violates <u, z_i> >= 1 by more than kktTolerance / 1000 * R |u|.
struct GoldfarbIdnaniSolver {
    let problem: MaxMarginProblem
    let options: MaxMarginOptions
    let iterationLimit: Int

    /// z_p counts as in the span of the active rows when its projection off them is shorter than this
    /// fraction of |z_p|. Admitting it would make the smallest singular value of Z_A about this size
    /// relative to |z_p|, so cond(K_AA) = cond(Z_A)^2 up to about 1e14: still factorisable by dpotrf with
    /// two digits to spare (at 1e-9 it fails on nearly opposite rows).
    static let spanTolerance = 1e-7

    func run() throws -> SolverResult {
        let z = problem.rows
        let n = z.rows
        let d = z.columns
        let violationTolerance = options.kktTolerance * 1e-3 * problem.dataScale
        var u = [Double](repeating: 0, count: d)
        var active: [Int] = []
        var multipliers: [Double] = []  // a_A, aligned with `active`
        var isActive = [Bool](repeating: false, count: n)
        var iterations = 0

        while true {
            let values = BLAS.product(z, u)  // n: <u, z_i>
            // The most violated inactive row; active rows hold <u, z_i> = 1 up to rounding.
            var entering = -1
            var worst = -violationTolerance * BLAS.norm(u)
            for i in 0..<n where !isActive[i] && values[i] - 1 < worst {
                worst = values[i] - 1
                entering = i
            }
            if entering < 0 { break }

            let row = z.row(entering)
            var enteringMultiplier = 0.0
            var enteringValue = values[entering]
            while true {
                iterations += 1
                if iterations > iterationLimit {
                    throw MaxMarginError.didNotConverge(method: .goldfarbIdnani, iterations: iterations)
                }
                var dualDirection: [Double] = []  // r, aligned with `active`
                var primalDirection = row  // s
                if !active.isEmpty {
                    let activeRows = z.selectingRows(active)  // |A| x d
                    let cholesky = try CholeskyFactorization(BLAS.gram(activeRows))
                    dualDirection = try cholesky.solve(BLAS.product(activeRows, row))
                    BLAS.axpy(-1, BLAS.product(activeRows, transposeA: true, dualDirection), &primalDirection)
                }
                var partialStep = Double.infinity
                var blocking = -1
                for k in dualDirection.indices where dualDirection[k] > 0 {
                    let step = multipliers[k] / dualDirection[k]
                    if step < partialStep {
                        partialStep = step
                        blocking = k
                    }
                }
                let directionSquared = BLAS.dot(primalDirection, primalDirection)
                let inSpan = directionSquared
                    <= Self.spanTolerance * Self.spanTolerance * problem.squaredNorms[entering]
                let fullStep = inSpan ? Double.infinity : (1 - enteringValue) / directionSquared

                if fullStep == .infinity && partialStep == .infinity {
                    // z_p = Z_A^T r with r <= 0: 0 = z_p + sum_k (-r_k) z_k is a non-negative combination.
                    var hullWeights = [Double](repeating: 0, count: n)
                    hullWeights[entering] = 1
                    for (k, index) in active.enumerated() { hullWeights[index] = max(0, -dualDirection[k]) }
                    return .nearOrigin(hullWeights: hullWeights, iterations: iterations)
                }
                let step = min(fullStep, partialStep)
                if fullStep < .infinity {
                    BLAS.axpy(step, primalDirection, &u)
                    enteringValue = BLAS.dot(u, row)
                }
                for k in multipliers.indices { multipliers[k] = max(0, multipliers[k] - step * dualDirection[k]) }
                enteringMultiplier += step
                if fullStep <= partialStep {
                    active.append(entering)
                    multipliers.append(enteringMultiplier)
                    isActive[entering] = true
                    break
                }
                isActive[active[blocking]] = false
                active.remove(at: blocking)
                multipliers.remove(at: blocking)
            }
        }

        var dualWeights = [Double](repeating: 0, count: n)
        for (k, index) in active.enumerated() { dualWeights[index] = multipliers[k] }
        return .separable(candidates: [MaxMarginCandidate(separator: u, dualWeights: dualWeights)],
                          iterations: iterations)
    }
}
