import LinearAlgebra

/// The hard-margin support vector machine without bias: the max-margin separator of rows z_i through
/// the origin.
///
///     u* = argmin_u |u|^2   subject to   <u, z_i> >= 1 for every row z_i of Z (n x d).
///
/// Dual: maximise sum_i a_i - 1/2 a^T K a over a >= 0, with K = Z Z^T, and u* = Z^T a (Vapnik, "The
/// Nature of Statistical Learning Theory", 1995, chapter 5; Boser, Guyon & Vapnik, COLT 1992).
/// Geometrically, if w is the point of conv{z_i} nearest the origin, then u* = w / |w|^2 and the
/// optimal dual weights are a = lambda / |w|^2 for the convex weights lambda of w; the margin 1 / |u*|
/// equals |w|. The data are separable (some u has <u, z_i> > 0 for all i) exactly when w != 0 (Gordan).
///
/// Why the project needs it: for linearly separable z_i, gradient descent on the logistic
/// (Bradley-Terry) loss drives |u(t)| to infinity with u(t) / |u(t)| -> u* / |u*| (Soudry, Hoffer,
/// Nacson, Gunasekar & Srebro, "The Implicit Bias of Gradient Descent on Separable Data", JMLR 2018;
/// Ji & Telgarsky 2019). With z_i = h_i+ - h_i- this is the EX-RM limit of Theorem 2 (docs/theory.md
/// section 4): every evaluation pair with <u*, zbar> > 0 is eventually ranked correctly.
///
/// Every answer is certified before it is returned: a separator only with a `KKTReport` whose relative
/// violations are within `options.kktTolerance`, a non-separability verdict only with convex weights
/// whose recomputed hull point is within `2 * options.separabilityTolerance * max_i |z_i|` of the
/// origin. Anything else is a thrown `MaxMarginError`; LAPACK failures are thrown `LinearAlgebraError`s;
/// rows whose squared norm overflows a double (entries near 1e155) are a thrown `DivergenceError` (cause:
/// hidden states too large), never a verdict computed from infinities.
///
/// Mathematical properties:
/// - KKT: <u*, z_i> >= 1, a >= 0, a_i (<u*, z_i> - 1) = 0, u* = Z^T a (each to `kktTolerance`, relative);
/// - u* is unique (strictly convex objective), so both methods return the same u* to rounding;
/// - margin = 1 / |u*| >= min_i <v, z_i> / |v| for every v (it is the largest margin);
/// - scaling: Z -> c Z gives u* -> u* / c, margin -> c margin; permuting the rows permutes a and leaves
///   u* unchanged; duplicating a row leaves u* unchanged;
/// - a single row z gives u* = z / |z|^2; orthonormal rows e_1, ..., e_k give u* = e_1 + ... + e_k;
/// - non-separable exactly when 0 is in conv{z_i} (z and -z; points surrounding the origin; a zero row).
public enum HardMarginSVM {
    /// Solves the problem for the rows of `z` (n x d, n >= 1, finite entries).
    public static func solve(_ z: Matrix, method: MaxMarginMethod = .minimumNormPoint,
                             options: MaxMarginOptions = .standard) throws -> MaxMarginOutcome
    {
        guard z.rows > 0 else {
            throw MaxMarginError.invalidInput("Z has no rows; give at least one difference vector z_i")
        }
        if let bad = z.elements.firstIndex(where: { !$0.isFinite }) {
            throw MaxMarginError.invalidInput(
                "Z(\(bad / max(z.columns, 1)), \(bad % max(z.columns, 1))) = \(z.elements[bad]) is not finite")
        }
        let problem = MaxMarginProblem(rows: z)
        // Every step of both solvers works with inner products of rows: once |z_i|^2 overflows, a
        // "not separable" verdict would be an artefact of infinity, not a fact about the data.
        try DivergenceError.check(problem.squaredNorms, .representationNorm, model: "max-margin separator", step: 0,
                                  cause: .hiddenStatesTooLarge(NaNPropagating.maxAbs(problem.squaredNorms)))
        let limit = options.iterationLimit(rows: z.rows, columns: z.columns)
        let result: SolverResult
        switch method {
        case .minimumNormPoint:
            result = try MinimumNormPointSolver(problem: problem, options: options, iterationLimit: limit).run()
        case .goldfarbIdnani:
            result = try GoldfarbIdnaniSolver(problem: problem, options: options, iterationLimit: limit).run()
        }
        return try certify(result, problem: problem, method: method, options: options)
    }

    /// Checks a solver's raw answer and wraps it as an outcome, or throws.
    static func certify(_ result: SolverResult, problem: MaxMarginProblem, method: MaxMarginMethod,
                        options: MaxMarginOptions) throws -> MaxMarginOutcome
    {
        switch result {
        case let .nearOrigin(weights, iterations):
            return .nonSeparable(try certificate(weights: weights, iterations: iterations, problem: problem,
                                                 method: method, options: options))
        case let .separable(candidates, iterations):
            precondition(!candidates.isEmpty, "a separable result needs at least one candidate")
            let reports = candidates.map {
                KKTReport(rows: problem.rows, separator: $0.separator, dualWeights: $0.dualWeights)
            }
            // The candidate with the smallest worst violation (NaN counts as worst).
            var best = 0
            for index in reports.indices.dropFirst() {
                let current = reports[index].worstRelativeViolation
                let leader = reports[best].worstRelativeViolation
                if leader.isNaN || current < leader { best = index }
            }
            let candidate = candidates[best]
            let report = reports[best]
            // A separator this long means the hull passes within rounding of the origin: the dual weights,
            // normalised, are then a certificate of non-separability (lambda = a / sum a, Z^T lambda = u / |u|^2).
            if report.separatorNorm * problem.dataScale * options.separabilityTolerance >= 1 {
                return .nonSeparable(try certificate(weights: candidate.dualWeights, iterations: iterations,
                                                     problem: problem, method: method, options: options))
            }
            guard report.isSatisfied(tolerance: options.kktTolerance) else {
                throw MaxMarginError.certificationFailed(method: method, report: report,
                                                         tolerance: options.kktTolerance)
            }
            let threshold = options.kktTolerance * report.largestDualWeight
            let support = candidate.dualWeights.indices.filter { candidate.dualWeights[$0] > threshold }
            return .separable(MaxMarginSolution(
                separator: candidate.separator, margin: 1 / report.separatorNorm,
                dualWeights: candidate.dualWeights, supportIndices: support, kkt: report,
                iterations: iterations, method: method))
        }
    }

    /// Normalises non-negative weights to sum 1 and confirms that their hull point is near the origin.
    static func certificate(weights: [Double], iterations: Int, problem: MaxMarginProblem,
                            method: MaxMarginMethod, options: MaxMarginOptions) throws -> NonSeparabilityCertificate
    {
        let clamped = weights.map { max(0, $0) }
        let total = clamped.reduce(0, +)
        precondition(total > 0, "a non-separability certificate needs a positive weight")
        let lambda = clamped.map { $0 / total }
        let residual = BLAS.norm(BLAS.product(problem.rows, transposeA: true, lambda))
        let bound = 2 * options.separabilityTolerance * problem.dataScale
        guard residual <= bound else {
            throw MaxMarginError.nonSeparabilityUnconfirmed(method: method, residual: residual, bound: bound)
        }
        return NonSeparabilityCertificate(
            hullWeights: lambda, residual: residual, dataScale: problem.dataScale,
            supportIndices: lambda.indices.filter { lambda[$0] > 0 }, iterations: iterations, method: method)
    }
}

/// The rows and the quantities every solver needs, computed once.
struct MaxMarginProblem {
    /// Z, n x d.
    let rows: Matrix
    /// |z_i|^2, length n.
    let squaredNorms: [Double]
    /// R = max_i |z_i|.
    let dataScale: Double

    init(rows: Matrix) {
        self.rows = rows
        var norms = [Double](repeating: 0, count: rows.rows)
        rows.elements.withUnsafeBufferPointer { p in
            for i in 0..<rows.rows {
                var squared = 0.0
                for j in 0..<rows.columns { squared += p[i * rows.columns + j] * p[i * rows.columns + j] }
                norms[i] = squared
            }
        }
        squaredNorms = norms
        dataScale = (norms.max() ?? 0).squareRoot()
    }
}

/// A candidate optimum (u, a), before its KKT check.
struct MaxMarginCandidate {
    /// u, length d.
    let separator: [Double]
    /// a, length n.
    let dualWeights: [Double]
}

/// A solver's raw answer.
enum SolverResult {
    /// Candidates for (u*, a); the certifier keeps the one with the smallest KKT violation.
    case separable(candidates: [MaxMarginCandidate], iterations: Int)
    /// Non-negative weights (any positive sum) whose combination of the rows is (near) 0.
    case nearOrigin(hullWeights: [Double], iterations: Int)
}
