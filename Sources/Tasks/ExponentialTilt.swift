import Foundation
import LinearAlgebra

// Goals, in priority order: (1) exactness of the IM-RM margin (it must equal delta to rounding for every
// correct/incorrect pair, however large delta / beta is), (2) no overflow or NaN for any beta, delta > 0
// and any reference mass q in [0, 1], including q far below 1e-300 given in log space, (3) clarity.
// Everything is kept in log space; probabilities are exponentiated only when asked for.

/// Theorem 1 of Razin et al. (docs/theory.md §5) as a construction: verification does not need
/// generation.
///
/// Given a reference distribution pi_ref over a finite response set, a set C of correct responses with
/// reference mass q = pi_ref(C), beta > 0 and a margin delta > 0, the exponential tilt
///
///     pi(y) = pi_ref(y) exp((delta / beta) 1[y in C]) / Z,   Z = 1 - q + q e^{delta / beta},
///
/// defines the implicit reward r(y) = beta ln(pi(y) / pi_ref(y)) = delta 1[y in C] - beta ln Z, so
///
///     r(correct) - r(incorrect) = delta        for every correct/incorrect pair, while
///     pi(C) = q e^{delta/beta} / (1 - q + q e^{delta/beta}) = sigma(logit(q) + delta/beta) <= e^{delta/beta} q.
///
/// When q is tiny (a random permutation being a Hamiltonian cycle), the reward verifies perfectly with
/// margin delta while the policy still almost never generates a correct response.
///
/// Mathematical properties (tested in `ExponentialTiltTests`):
/// - `margins.minimum` and `margins.maximum` (min and max over all correct/incorrect pairs) both equal
///   delta to rounding.
/// - `generationProbability` (the sum of pi over C) equals `closedFormGenerationProbability` and is at
///   most `generationBound` = e^{delta/beta} q (which may be +infinity; `logGenerationBound` is finite).
/// - pi sums to 1; pi(C) >= q, with equality only when q is 0 or 1.
public struct ExponentialTilt: Sendable {
    public let beta: Double
    /// delta, the margin the tilt puts between every correct and every incorrect response.
    public let margin: Double
    /// ln pi_ref(y) for each response.
    public let logReference: [Double]
    public let isCorrect: [Bool]
    /// ln pi(y) = ln pi_ref(y) + (delta / beta) 1[y in C] - ln Z.
    public let logProbabilities: [Double]
    /// ln q = ln pi_ref(C), -infinity when C is empty.
    public let logCorrectReferenceMass: Double
    /// ln (1 - q) = ln pi_ref(not C), summed over the incorrect responses directly (no cancellation in
    /// 1 - q when q is close to 1); -infinity when every response is correct.
    public let logIncorrectReferenceMass: Double
    /// ln Z = ln(1 - q + q e^{delta/beta}).
    public let logNormalizer: Double

    /// Builds the tilt from a log reference distribution.
    ///
    /// Preconditions (programmer errors): beta and delta finite and positive; one flag per response;
    /// every ln pi_ref(y) finite (pi_ref(y) > 0, so every reward is defined); pi_ref sums to 1 within 1e-9.
    public init(logReference: [Double], isCorrect: [Bool], beta: Double, margin: Double) {
        precondition(beta.isFinite && beta > 0, "beta must be finite and positive, got \(beta)")
        precondition(margin.isFinite && margin > 0, "the margin delta must be finite and positive, got \(margin)")
        precondition(!logReference.isEmpty, "the response set is empty")
        precondition(logReference.count == isCorrect.count,
                     "\(logReference.count) reference log-probabilities for \(isCorrect.count) correctness flags")
        precondition(logReference.allSatisfy(\.isFinite),
                     "every reference probability must be positive (finite log), so every reward is defined")
        let total = StableMath.logSumExp(logReference)
        precondition(abs(total) <= 1e-9, "the reference must sum to 1; its log-sum is \(total)")

        self.beta = beta
        self.margin = margin
        self.logReference = logReference
        self.isCorrect = isCorrect
        let correctLogs = zip(logReference, isCorrect).filter { $0.1 }.map(\.0)
        let incorrectLogs = zip(logReference, isCorrect).filter { !$0.1 }.map(\.0)
        logCorrectReferenceMass = StableMath.logSumExp(correctLogs)
        logIncorrectReferenceMass = StableMath.logSumExp(incorrectLogs)
        let tilt = margin / beta
        // ln Z = ln((1 - q) + q e^t), a log-sum-exp of two terms; either may be -infinity, never both.
        let logZ = StableMath.logSumExp([logIncorrectReferenceMass, logCorrectReferenceMass + tilt])
        logNormalizer = logZ
        logProbabilities = zip(logReference, isCorrect).map { logRef, correct in
            logRef + (correct ? tilt : 0) - logZ
        }
    }

    /// Throws `DivergenceError` (model "tilt", step 0, cause beta too small) when delta / beta is not a
    /// finite double (beta = 1e-320 with delta = 1): the tilted log-probabilities ln pi_ref + delta/beta - ln Z
    /// would then be infinity minus infinity, and every margin NaN. Call it on user input before `init`.
    public static func validate(beta: Double, margin: Double) throws(DivergenceError) {
        try DivergenceError.check(margin / beta, .reward, model: "tilt", step: 0, cause: .betaTooSmall(beta))
    }

    /// Builds the tilt from reference probabilities (all positive, summing to 1).
    public init(reference: [Double], isCorrect: [Bool], beta: Double, margin: Double) {
        self.init(logReference: reference.map { log($0) }, isCorrect: isCorrect, beta: beta, margin: margin)
    }

    /// Builds the tilt over a labelled reference.
    public init(_ reference: LabelledReference, beta: Double, margin: Double) {
        self.init(logReference: reference.logProbabilities, isCorrect: reference.isCorrect, beta: beta, margin: margin)
    }

    /// q = pi_ref(C).
    public var referenceCorrectMass: Double { exp(logCorrectReferenceMass) }

    /// pi(y) for each response.
    public var probabilities: [Double] { logProbabilities.map { exp($0) } }

    /// The implicit reward beta ln(pi(y) / pi_ref(y)) of response `index`, from the stored log-probabilities.
    public func implicitReward(of index: Int) -> Double {
        beta * (logProbabilities[index] - logReference[index])
    }

    /// The smallest and largest IM-RM margin r(correct) - r(incorrect) over all pairs.
    public struct MarginRange: Sendable, Equatable, Codable {
        public let minimum: Double
        public let maximum: Double
    }

    /// The margin range over all correct/incorrect pairs, nil when C or its complement is empty (no pairs).
    /// Computed as (min correct reward - max incorrect reward, max correct - min incorrect), which is
    /// exactly the min and max over the pairs; NaN (both ends) when a reward is NaN, whatever its position
    /// (`Array.min()` would skip a NaN that does not come first).
    public var margins: MarginRange? {
        let rewards = logProbabilities.indices.map(implicitReward(of:))
        if rewards.contains(where: \.isNaN), rewards.indices.contains(where: { isCorrect[$0] }),
           rewards.indices.contains(where: { !isCorrect[$0] })
        {
            return MarginRange(minimum: .nan, maximum: .nan)
        }
        let correct = rewards.indices.filter { isCorrect[$0] }.map { rewards[$0] }
        let incorrect = rewards.indices.filter { !isCorrect[$0] }.map { rewards[$0] }
        guard let lowCorrect = correct.min(), let highCorrect = correct.max(),
              let lowIncorrect = incorrect.min(), let highIncorrect = incorrect.max()
        else { return nil }
        return MarginRange(minimum: lowCorrect - highIncorrect, maximum: highCorrect - lowIncorrect)
    }

    /// pi(C), summed over the correct responses of the tilted distribution itself.
    public var generationProbability: Double {
        zip(logProbabilities, isCorrect).reduce(0) { $0 + ($1.1 ? exp($1.0) : 0) }
    }

    /// pi(C) by the closed form, from the log masses this tilt computed.
    public var closedFormGenerationProbability: Double {
        Self.closedFormGenerationProbability(
            logCorrectMass: logCorrectReferenceMass, logIncorrectMass: logIncorrectReferenceMass,
            beta: beta, margin: margin)
    }

    /// q e^{delta/beta} / (1 - q + q e^{delta/beta}) = sigma(ln q - ln(1 - q) + delta/beta).
    ///
    /// The sigmoid of the log-odds never forms e^{delta/beta}, so it stays finite (and correct) where the
    /// textbook fraction would be inf / inf; `log1p(-q)` keeps ln(1 - q) accurate for tiny q.
    public static func closedFormGenerationProbability(correctMass q: Double, beta: Double, margin: Double) -> Double {
        precondition((0...1).contains(q), "the reference mass q must lie in [0, 1], got \(q)")
        return closedFormGenerationProbability(logCorrectMass: log(q), logIncorrectMass: log1p(-q), beta: beta,
                                               margin: margin)
    }

    /// The closed form from ln q and ln(1 - q), for masses too small to hold as a Double.
    public static func closedFormGenerationProbability(logCorrectMass: Double, logIncorrectMass: Double,
                                                       beta: Double, margin: Double) -> Double
    {
        precondition(beta > 0 && margin > 0, "beta and delta must be positive, got \(beta) and \(margin)")
        if logCorrectMass == -.infinity { return 0 }
        if logIncorrectMass == -.infinity { return 1 }
        return StableMath.sigmoid(logCorrectMass - logIncorrectMass + margin / beta)
    }

    /// ln of the bound e^{delta/beta} q: ln q + delta/beta (finite unless q = 0).
    public static func logGenerationBound(logCorrectMass: Double, beta: Double, margin: Double) -> Double {
        logCorrectMass + margin / beta
    }

    /// The bound e^{delta/beta} q itself; +infinity when it overflows a Double (it is then vacuous anyway).
    public static func generationBound(correctMass q: Double, beta: Double, margin: Double) -> Double {
        exp(logGenerationBound(logCorrectMass: log(q), beta: beta, margin: margin))
    }

    /// `logGenerationBound` for this tilt.
    public var logGenerationBound: Double {
        Self.logGenerationBound(logCorrectMass: logCorrectReferenceMass, beta: beta, margin: margin)
    }

    /// `generationBound` for this tilt (possibly +infinity).
    public var generationBound: Double { exp(logGenerationBound) }

    /// The numbers a report shows for this tilt.
    public var summary: ExponentialTiltSummary {
        ExponentialTiltSummary(
            beta: beta, margin: margin, responseCount: isCorrect.count,
            correctCount: isCorrect.filter { $0 }.count, referenceCorrectMass: referenceCorrectMass,
            minimumMargin: margins?.minimum, maximumMargin: margins?.maximum,
            generationProbability: generationProbability,
            closedFormGenerationProbability: closedFormGenerationProbability,
            logGenerationBound: logGenerationBound, generationBound: generationBound)
    }
}

/// The report-ready numbers of one exponential tilt.
public struct ExponentialTiltSummary: Sendable, Equatable, Codable {
    public let beta: Double
    public let margin: Double
    public let responseCount: Int
    public let correctCount: Int
    /// q = pi_ref(C).
    public let referenceCorrectMass: Double
    /// Min and max IM-RM margin over correct/incorrect pairs (nil without pairs); both equal `margin`.
    public let minimumMargin: Double?
    public let maximumMargin: Double?
    /// pi(C) summed from the tilted distribution.
    public let generationProbability: Double
    public let closedFormGenerationProbability: Double
    public let logGenerationBound: Double
    /// e^{delta/beta} q, +infinity when it overflows.
    public let generationBound: Double
}

/// A reference distribution over responses 0 ..< n with the correct ones marked, in log space.
public struct LabelledReference: Sendable, Equatable {
    public let logProbabilities: [Double]
    public let isCorrect: [Bool]

    public init(logProbabilities: [Double], isCorrect: [Bool]) {
        precondition(logProbabilities.count == isCorrect.count,
                     "\(logProbabilities.count) log-probabilities for \(isCorrect.count) correctness flags")
        self.logProbabilities = logProbabilities
        self.isCorrect = isCorrect
    }

    public var probabilities: [Double] { logProbabilities.map { exp($0) } }

    /// The indices of the correct responses, increasing.
    public var correctIndices: [Int] { isCorrect.indices.filter { isCorrect[$0] } }

    /// A random reference over `responseCount` responses, `correctCount` of them correct (a uniformly
    /// random subset), with total mass `correctMass` on the correct ones.
    ///
    /// Within each of C and its complement the mass is split by Dirichlet(1, ..., 1) weights (normalized
    /// Exp(1) draws), so individual probabilities vary over several orders of magnitude. Given as ln q so
    /// that masses below the smallest Double work too.
    ///
    /// Preconditions: 0 <= correctCount <= responseCount, responseCount >= 1; ln q = -infinity exactly
    /// when correctCount = 0 and ln q = 0 exactly when correctCount = responseCount, else ln q < 0.
    public static func random(responseCount: Int, correctCount: Int, logCorrectMass: Double,
                              using generator: inout some RandomNumberGenerator) -> LabelledReference
    {
        precondition(responseCount >= 1, "need at least one response, got \(responseCount)")
        precondition((0...responseCount).contains(correctCount),
                     "correctCount must be in 0...\(responseCount), got \(correctCount)")
        if correctCount == 0 {
            precondition(logCorrectMass == -.infinity, "no correct response but ln q = \(logCorrectMass)")
        } else if correctCount == responseCount {
            precondition(logCorrectMass == 0, "every response correct but ln q = \(logCorrectMass)")
        } else {
            precondition(logCorrectMass < 0 && logCorrectMass > -.infinity,
                         "ln q must be in (-inf, 0) when C is a proper subset, got \(logCorrectMass)")
        }
        // ln(1 - q) = ln(1 - e^{ln q}), accurately on both ends (ln q near 0 or very negative).
        let logIncorrectMass = logCorrectMass > -0.693 ? log(-expm1(logCorrectMass)) : log1p(-exp(logCorrectMass))

        let order = Array(0..<responseCount).shuffled(using: &generator)
        var isCorrect = [Bool](repeating: false, count: responseCount)
        for index in order.prefix(correctCount) { isCorrect[index] = true }

        var logWeights = [Double](repeating: 0, count: responseCount)
        for index in 0..<responseCount {
            // u strictly inside (0, 1), so the Exp(1) draw -ln u is positive and its log finite.
            let u = (Double(generator.next() >> 11) + 0.5) / 9_007_199_254_740_992  // 2^53
            logWeights[index] = log(-log(u))
        }
        let correctTotal = StableMath.logSumExp((0..<responseCount).filter { isCorrect[$0] }.map { logWeights[$0] })
        let incorrectTotal = StableMath.logSumExp((0..<responseCount).filter { !isCorrect[$0] }.map { logWeights[$0] })
        let logProbabilities = (0..<responseCount).map { index in
            isCorrect[index]
                ? logCorrectMass + logWeights[index] - correctTotal
                : logIncorrectMass + logWeights[index] - incorrectTotal
        }
        return LabelledReference(logProbabilities: logProbabilities, isCorrect: isCorrect)
    }

    /// `random(responseCount:correctCount:logCorrectMass:using:)` with q given directly.
    public static func random(responseCount: Int, correctCount: Int, correctMass q: Double,
                              using generator: inout some RandomNumberGenerator) -> LabelledReference
    {
        random(responseCount: responseCount, correctCount: correctCount, logCorrectMass: log(q), using: &generator)
    }
}
