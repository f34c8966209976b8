import LinearAlgebra

// Goals, in priority order: (1) decide separability correctly, with a certificate either way, (2) reach
// the KKT point to rounding, so that the final check has orders of magnitude to spare, (3) cost O(n d)
// per step (one matrix-vector product) plus O(m d) for the factorisation, m the size of the corral.

/// The primary solver: Wolfe's minimum-norm-point algorithm on conv{z_i}, then an exact solve on the
/// support.
///
/// w = argmin { |x| : x in conv{z_i} } gives the max-margin separator u* = w / |w|^2 (see
/// `HardMarginSVM`). Wolfe's algorithm (P. Wolfe, "Finding the nearest point in a polytope",
/// Mathematical Programming 11, 1976) keeps a "corral" S of affinely independent rows and convex weights
/// lambda_S > 0, with x = Z_S^T lambda_S the nearest point of their affine hull:
/// - Major cycle: j = argmin_i <x, z_i>. If <x, z_j> >= |x|^2 (up to tolerance), x is the nearest point
///   of the whole hull (every z_i lies beyond the hyperplane through x orthogonal to x): stop. Otherwise
///   add j to S; z_j is outside the affine hull of S because <x, z_j> < |x|^2 = <x, y> for every y in it.
/// - Minor cycle: the nearest point of aff(S) has weights alpha = G^{-1} 1 / (1^T G^{-1} 1) with
///   G = A^T A, A the (d + 1) x |S| matrix of lifted rows (c, z_i); G is positive definite exactly when
///   S is affinely independent, so it stays so even where 0 is in aff(S). If alpha > 0, accept it.
///   Otherwise move lambda toward alpha until a weight reaches 0, drop that row, repeat.
/// |x| strictly decreases at every major cycle, so no corral repeats and the method is finite.
/// Wolfe kept only the triangular factor of G; here A = Q R is kept (`UpdatableQR`). Since every lifted
/// row has first coordinate c, 1 = A^T e_1 / c, so R^{-T} 1 = Q^T e_1 / c = q / c without a solve, and
/// the lifted nearest point is A alpha = c Q q / |q|^2 = c P e_1 / |P e_1|^2 (P the projection on the
/// span of the lifted rows). Computing x from the orthonormal Q, not from alpha and the long rows z_i
/// (whose combination nearly cancels when the hull passes close to the origin), keeps the error in x
/// near eps R instead of eps cond(A) R; alpha = R^{-1} q / sum is needed only for the signs of the
/// weights and for a. c = max_i |z_i| puts both parts of the lifted rows on one scale.
///
/// Finish: when |x| <= separabilityTolerance * R, the weights are a non-separability certificate. Else
/// the candidate a = lambda / |x|^2, u = x / |x|^2 is returned together with a polished one: on the
/// support S, solve K_SS a_S = 1 by LAPACK Cholesky plus one step of iterative refinement, u = Z_S^T a_S.
/// The certifier keeps whichever has the smaller KKT violation.
///
/// Mathematical properties:
/// - on a normal stop, <x, z_i> >= |x|^2 - (kktTolerance / 1000) |x| R for every row, so u = x / |x|^2
///   is primal feasible to kktTolerance / 1000 relative;
/// - the corral never exceeds min(n, d + 1) rows (affinely independent points in R^d);
/// - a non-separability verdict only when |x| <= separabilityTolerance * R.
struct MinimumNormPointSolver {
    let problem: MaxMarginProblem
    let options: MaxMarginOptions
    let iterationLimit: Int

    func run() throws -> SolverResult {
        let z = problem.rows
        let n = z.rows
        let d = z.columns
        let scale = problem.dataScale
        let lift = scale  // c in the lifted rows (c, z_i)
        let distanceFloor = options.separabilityTolerance * scale
        // Stop when no row improves on x by more than this fraction of |x| R (the size of the rounding
        // error in <x, z_i> is about eps sqrt(d) |x| R); three orders inside the final KKT tolerance.
        let gapTolerance = options.kktTolerance * 1e-3

        // Start from the row nearest the origin; a (near) zero row alone proves non-separability.
        var first = 0
        for i in 0..<n where problem.squaredNorms[i] < problem.squaredNorms[first] { first = i }
        if problem.squaredNorms[first].squareRoot() <= distanceFloor {
            var weights = [Double](repeating: 0, count: n)
            weights[first] = 1
            return .nearOrigin(hullWeights: weights, iterations: 0)
        }

        var corral = [first]  // S, indices into the rows
        var weights = [1.0]  // lambda_S > 0, sum 1
        var inCorral = [Bool](repeating: false, count: n)
        inCorral[first] = true
        var factor = UpdatableQR(length: d + 1, capacity: min(n, d + 1))
        let started = factor.append([lift] + z.row(first))
        precondition(started, "the first lifted row (c, z) has a positive norm")
        var x = z.row(first)  // d: Z_S^T lambda_S
        var squaredNorm = BLAS.dot(x, x)
        var previousSquaredNorm = Double.infinity
        var iterations = 0

        while true {
            squaredNorm = BLAS.dot(x, x)
            if squaredNorm.squareRoot() <= distanceFloor {
                var hullWeights = [Double](repeating: 0, count: n)
                for (k, index) in corral.enumerated() { hullWeights[index] = weights[k] }
                return .nearOrigin(hullWeights: hullWeights, iterations: iterations)
            }
            // Exact arithmetic shortens x at every major cycle; once rounding stops that, x is final.
            if squaredNorm >= previousSquaredNorm { break }
            previousSquaredNorm = squaredNorm

            let values = BLAS.product(z, x)  // n: <x, z_i>
            var entering = -1
            var lowest = squaredNorm - gapTolerance * squaredNorm.squareRoot() * scale
            for i in 0..<n where !inCorral[i] && values[i] < lowest {
                lowest = values[i]
                entering = i
            }
            if entering < 0 { break }  // optimal to tolerance

            // A refusal means z_j is affinely dependent on S to working precision: x cannot improve.
            guard factor.append([lift] + z.row(entering)) else { break }
            corral.append(entering)
            weights.append(0)
            inCorral[entering] = true
            iterations += 1

            // Minor cycles: move to the nearest point of aff(S), dropping rows whose weight would turn negative.
            while true {
                if iterations > iterationLimit {
                    throw MaxMarginError.didNotConverge(method: .minimumNormPoint, iterations: iterations)
                }
                let q = factor.firstCoordinates  // Q^T e_1 = c R^{-T} 1
                let raw = factor.solveTriangular(q)  // c G^{-1} 1
                let total = raw.reduce(0, +)  // c 1^T G^{-1} 1 > 0 for positive definite G
                let affine = raw.map { $0 / total }
                if affine.allSatisfy({ $0 > 0 }) {
                    weights = affine
                    // The lifted nearest point c Q q / |q|^2; its first coordinate is c, the rest is x.
                    let scaleBack = lift / BLAS.dot(q, q)
                    x = factor.combination(q).dropFirst().map { $0 * scaleBack }
                    break
                }
                // Largest theta in [0, 1] keeping (1 - theta) lambda + theta alpha >= 0.
                var theta = 1.0
                var leaving = -1
                for k in affine.indices where affine[k] <= 0 {
                    let step = weights[k] <= 0 ? 0 : weights[k] / (weights[k] - affine[k])
                    if leaving < 0 || step < theta {
                        theta = step  // in [0, 1]: lambda_k >= 0 >= alpha_k
                        leaving = k
                    }
                }
                for k in weights.indices { weights[k] = (1 - theta) * weights[k] + theta * affine[k] }
                weights[leaving] = 0
                for k in stride(from: corral.count - 1, through: 0, by: -1) where weights[k] <= 0 {
                    factor.remove(at: k)
                    inCorral[corral[k]] = false
                    corral.remove(at: k)
                    weights.remove(at: k)
                    iterations += 1
                }
                let remaining = weights.reduce(0, +)
                for k in weights.indices { weights[k] /= remaining }
            }
        }

        // x = w: u = w / |w|^2, a = lambda / |w|^2.
        var dualWeights = [Double](repeating: 0, count: n)
        for (k, index) in corral.enumerated() { dualWeights[index] = weights[k] / squaredNorm }
        // Two readings of the same point: u from x (accurate constraint values), and u = Z_S^T a (exact
        // stationarity); they differ by the error in alpha, about eps cond(A).
        let corralRows = z.selectingRows(corral)
        var candidates = [
            MaxMarginCandidate(separator: x.map { $0 / squaredNorm }, dualWeights: dualWeights),
            MaxMarginCandidate(separator: BLAS.product(z, transposeA: true, dualWeights), dualWeights: dualWeights),
        ]
        if let polished = polish(corral: corral, corralRows: corralRows) {
            candidates.append(polished)
        }
        return .separable(candidates: candidates, iterations: iterations)
    }

    /// a_S = K_SS^{-1} 1 with one step of iterative refinement; nil if K_SS is not numerically positive
    /// definite or some a_i comes out non-positive (then S is not exactly the support).
    private func polish(corral: [Int], corralRows: Matrix) -> MaxMarginCandidate? {
        guard let cholesky = try? CholeskyFactorization(BLAS.gram(corralRows)) else { return nil }
        let ones = [Double](repeating: 1, count: corral.count)
        guard var supportWeights = try? cholesky.solve(ones) else { return nil }
        // Refinement: r = 1 - Z_S u measures the active constraints directly, not through K_SS.
        var separator = BLAS.product(corralRows, transposeA: true, supportWeights)
        var residual = ones
        BLAS.axpy(-1, BLAS.product(corralRows, separator), &residual)
        guard let correction = try? cholesky.solve(residual) else { return nil }
        BLAS.axpy(1, correction, &supportWeights)
        guard supportWeights.allSatisfy({ $0 > 0 }) else { return nil }
        separator = BLAS.product(corralRows, transposeA: true, supportWeights)
        var dualWeights = [Double](repeating: 0, count: problem.rows.rows)
        for (k, index) in corral.enumerated() { dualWeights[index] = supportWeights[k] }
        return MaxMarginCandidate(separator: separator, dualWeights: dualWeights)
    }
}
