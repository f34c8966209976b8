import Foundation
import LinearAlgebra
import Tasks
import TestSupport
import XCTest

final class ExponentialTiltTests: XCTestCase {
    /// One random setting of Theorem 1: response count n, correct count k, and log-uniform q, beta, delta.
    struct Setting: CustomStringConvertible {
        let responseCount: Int
        let correctCount: Int
        var description: String { "n = \(responseCount), |C| = \(correctCount)" }
    }

    static let settings = [
        Setting(responseCount: 2, correctCount: 1), Setting(responseCount: 7, correctCount: 3),
        Setting(responseCount: 40, correctCount: 1), Setting(responseCount: 200, correctCount: 37),
    ]

    /// The margin is beta (ln pi - ln pi_ref)(correct) - beta (ln pi - ln pi_ref)(incorrect), four stored
    /// logs each rounded to within half an ulp of its size; 16 ulps of the largest log times beta covers
    /// the four roundings plus the subtractions with room to spare, and is still far below any real error.
    static func marginTolerance(_ tilt: ExponentialTilt) -> Double {
        let largestLog = (tilt.logProbabilities + tilt.logReference).map(abs).max()! + tilt.margin / tilt.beta
        return 16 * Double.ulpOfOne * tilt.beta * largestLog
    }

    /// exp turns an absolute error e in a log into a relative error e in the probability; the logs here
    /// are at most ~1e3 in size, so 1e-11 relative bounds e ~ 1e3 * 2e-16 summed over the correct set.
    static let probabilityTolerance = 1e-11

    func testTheoremOneHoldsOverRandomSettings() {
        propertySweep(seeds: 0..<12, shapes: Self.settings) { sweep, setting in
            let logQ = -pow(10, Double.random(in: -2...1.5, using: &sweep.generator))  // q from 1e-14 to 0.99
            let beta = pow(10, Double.random(in: -2...1, using: &sweep.generator))
            let delta = pow(10, Double.random(in: -2...1, using: &sweep.generator))
            let reference = LabelledReference.random(
                responseCount: setting.responseCount, correctCount: setting.correctCount, logCorrectMass: logQ,
                using: &sweep.generator)
            let tilt = ExponentialTilt(reference, beta: beta, margin: delta)
            let context = "ln q = \(logQ), beta = \(beta), delta = \(delta)"

            // Every correct response beats every incorrect one by exactly delta.
            guard let margins = tilt.margins else { return XCTFail("no pairs: \(context)") }
            let tolerance = Self.marginTolerance(tilt)
            XCTAssertEqual(margins.minimum, delta, accuracy: tolerance, context)
            XCTAssertEqual(margins.maximum, delta, accuracy: tolerance, context)

            // pi is a distribution, and its mass on C matches the closed form and respects the bound.
            XCTAssertEqual(tilt.probabilities.reduce(0, +), 1, accuracy: 1e-13, context)
            XCTAssertEqual(tilt.referenceCorrectMass, exp(logQ), accuracy: 1e-12 * exp(logQ), context)
            let generated = tilt.generationProbability
            let closedForm = ExponentialTilt.closedFormGenerationProbability(
                correctMass: exp(logQ), beta: beta, margin: delta)
            XCTAssertEqual(generated, closedForm, accuracy: Self.probabilityTolerance * closedForm, context)
            XCTAssertEqual(tilt.closedFormGenerationProbability, closedForm, accuracy: 1e-13 * closedForm, context)
            XCTAssertLessThanOrEqual(generated, tilt.generationBound * (1 + Self.probabilityTolerance), context)
            XCTAssertGreaterThan(generated, exp(logQ), "tilting toward C raises its mass: \(context)")
            XCTAssertEqual(tilt.logGenerationBound, logQ + delta / beta, accuracy: 1e-12 * abs(logQ + delta / beta))
        }
    }

    func testMarginRangeIsTheMinimumAndMaximumOverAllPairs() {
        propertySweep(seeds: 0..<6) { sweep in
            let reference = LabelledReference.random(responseCount: 9, correctCount: 4, correctMass: 0.05,
                                                     using: &sweep.generator)
            let tilt = ExponentialTilt(reference, beta: 0.1, margin: 2)
            var pairMargins: [Double] = []
            for c in reference.isCorrect.indices where reference.isCorrect[c] {
                for i in reference.isCorrect.indices where !reference.isCorrect[i] {
                    pairMargins.append(tilt.implicitReward(of: c) - tilt.implicitReward(of: i))
                }
            }
            XCTAssertEqual(pairMargins.count, 4 * 5)
            XCTAssertEqual(tilt.margins?.minimum, pairMargins.min())
            XCTAssertEqual(tilt.margins?.maximum, pairMargins.max())
        }
    }

    func testHugeTiltSaturatesWithoutOverflow() {
        // delta / beta = 1000: e^1000 overflows, the naive fraction is inf / inf = NaN.
        let q = 0.3
        let naive = q * exp(1000.0) / (1 - q + q * exp(1000.0))
        XCTAssertTrue(naive.isNaN)
        XCTAssertEqual(ExponentialTilt.closedFormGenerationProbability(correctMass: q, beta: 0.01, margin: 10), 1)
        XCTAssertEqual(ExponentialTilt.generationBound(correctMass: q, beta: 0.01, margin: 10), .infinity)
        XCTAssertEqual(ExponentialTilt.logGenerationBound(logCorrectMass: log(q), beta: 0.01, margin: 10),
                       log(q) + 1000, accuracy: 1e-12)

        var generator = SeededGenerator(seed: 3)
        let reference = LabelledReference.random(responseCount: 30, correctCount: 5, correctMass: q, using: &generator)
        let tilt = ExponentialTilt(reference, beta: 0.01, margin: 10)
        // The logs of pi are ~1000 in size before cancellation, hence the probability tolerance, not 1 ulp.
        XCTAssertEqual(tilt.generationProbability, 1, accuracy: Self.probabilityTolerance)
        XCTAssertTrue(tilt.probabilities.allSatisfy(\.isFinite))
        XCTAssertEqual(tilt.margins!.minimum, 10, accuracy: Self.marginTolerance(tilt))
        XCTAssertEqual(tilt.summary.generationBound, .infinity)
    }

    func testATiltThatOverflowsADoubleIsRefusedAndNeverReportedAsMargins() throws {
        // delta / beta = 1e320 is not a double: ln pi would be inf - inf.
        XCTAssertThrowsError(try ExponentialTilt.validate(beta: 1e-320, margin: 1)) { error in
            let divergence = error as! DivergenceError
            XCTAssertEqual(divergence.cause, .betaTooSmall(1e-320))
            XCTAssertEqual(divergence.model, "tilt")
        }
        XCTAssertNoThrow(try ExponentialTilt.validate(beta: 0.01, margin: 10))
        // Built anyway, its margins are NaN at both ends, never a min or max that skipped the NaNs.
        var generator = SeededGenerator(seed: 3)
        let reference = LabelledReference.random(responseCount: 30, correctCount: 5, correctMass: 0.5, using: &generator)
        let tilt = ExponentialTilt(reference, beta: 1e-320, margin: 1)
        XCTAssertTrue(tilt.margins!.minimum.isNaN)
        XCTAssertTrue(tilt.margins!.maximum.isNaN)
    }

    func testTinyReferenceMassVerifiesPerfectlyButAlmostNeverGenerates() {
        // q = e^-800 cannot be held as a Double; in log space the theorem still holds, and pi(C) = e^-790
        // is still below the smallest subnormal.
        var generator = SeededGenerator(seed: 11)
        let reference = LabelledReference.random(responseCount: 12, correctCount: 2, logCorrectMass: -800,
                                                 using: &generator)
        let tilt = ExponentialTilt(reference, beta: 0.1, margin: 1)
        XCTAssertEqual(tilt.margins!.minimum, 1, accuracy: Self.marginTolerance(tilt))
        XCTAssertEqual(tilt.generationProbability, 0)
        XCTAssertEqual(tilt.logGenerationBound, -790, accuracy: 1e-10)
        // Above the subnormal range the closed form and the bound agree to first order in q e^{delta/beta}.
        let q = 1e-300
        let generated = ExponentialTilt.closedFormGenerationProbability(correctMass: q, beta: 1, margin: 10)
        let bound = ExponentialTilt.generationBound(correctMass: q, beta: 1, margin: 10)
        XCTAssertEqual(generated / bound, 1, accuracy: 1e-12)
    }

    func testSmallTiltIsFirstOrderInDeltaOverBeta() {
        // pi(C) = q + q (1 - q) t + O(t^2) for t = delta / beta -> 0.
        let q = 0.2
        for t in [1e-2, 1e-3, 1e-4] {
            let generated = ExponentialTilt.closedFormGenerationProbability(correctMass: q, beta: 1, margin: t)
            XCTAssertEqual(generated, q + q * (1 - q) * t, accuracy: t * t)
        }
    }

    func testDegenerateCorrectSets() {
        var generator = SeededGenerator(seed: 5)
        let none = LabelledReference.random(responseCount: 4, correctCount: 0, logCorrectMass: -.infinity,
                                            using: &generator)
        let noneTilt = ExponentialTilt(none, beta: 1, margin: 1)
        XCTAssertNil(noneTilt.margins)
        XCTAssertEqual(noneTilt.generationProbability, 0)
        XCTAssertEqual(noneTilt.closedFormGenerationProbability, 0)
        // No tilt without a correct response: pi = pi_ref up to renormalizing the reference's rounding.
        assertClose(noneTilt.logProbabilities, none.logProbabilities, tolerance: 1e-15)

        let all = LabelledReference.random(responseCount: 4, correctCount: 4, logCorrectMass: 0, using: &generator)
        let allTilt = ExponentialTilt(all, beta: 1, margin: 1)
        XCTAssertNil(allTilt.margins)
        XCTAssertEqual(allTilt.generationProbability, 1, accuracy: 1e-15)
        XCTAssertEqual(allTilt.closedFormGenerationProbability, 1)
    }

    func testReferenceBuilderIsSeededAndPutsMassQOnACorrectSetOfTheGivenSize() {
        var first = SeededGenerator(seed: 42)
        var second = SeededGenerator(seed: 42)
        let a = LabelledReference.random(responseCount: 50, correctCount: 7, correctMass: 0.01, using: &first)
        let b = LabelledReference.random(responseCount: 50, correctCount: 7, correctMass: 0.01, using: &second)
        XCTAssertEqual(a, b)
        var third = SeededGenerator(seed: 43)
        XCTAssertNotEqual(a, LabelledReference.random(responseCount: 50, correctCount: 7, correctMass: 0.01,
                                                      using: &third))
        XCTAssertEqual(a.correctIndices.count, 7)
        let mass = a.correctIndices.map { a.probabilities[$0] }.reduce(0, +)
        XCTAssertEqual(mass, 0.01, accuracy: 1e-15)
        XCTAssertEqual(a.probabilities.reduce(0, +), 1, accuracy: 1e-14)
        XCTAssertTrue(a.probabilities.allSatisfy { $0 > 0 })
    }

    func testSummaryCarriesTheSameNumbers() throws {
        let tilt = ExponentialTilt(reference: [0.1, 0.2, 0.3, 0.4], isCorrect: [true, false, false, true],
                                   beta: 0.5, margin: 1)
        let summary = tilt.summary
        XCTAssertEqual(summary.correctCount, 2)
        XCTAssertEqual(summary.referenceCorrectMass, 0.5, accuracy: 1e-15)
        // q = 0.5, t = 2: pi(C) = e^2 / (1 + e^2) = sigma(2).
        XCTAssertEqual(summary.closedFormGenerationProbability, 1 / (1 + exp(-2.0)), accuracy: 1e-15)
        XCTAssertEqual(summary.generationProbability, 1 / (1 + exp(-2.0)), accuracy: 1e-15)
        XCTAssertEqual(summary.generationBound, 0.5 * exp(2.0), accuracy: 1e-14)
        let encoded = try JSONEncoder().encode(summary)
        XCTAssertEqual(try JSONDecoder().decode(ExponentialTiltSummary.self, from: encoded), summary)
    }
}
