import LinearAlgebra
import XCTest

final class DivergenceErrorTests: XCTestCase {
    func testCheckPassesFiniteValuesAndThrowsTheFirstNonFiniteOne() throws {
        XCTAssertNoThrow(try DivergenceError.check([1, -2, 0, .greatestFiniteMagnitude], .reward, model: "m", step: 3,
                                                   cause: .learningRateTooLarge(1)))
        for (values, first) in [([1, .infinity, .nan], Double.infinity), ([.nan, 1], .nan), ([-Double.infinity], -.infinity)] {
            XCTAssertThrowsError(try DivergenceError.check(values, .loss, model: "m", step: 3, cause: .learningRateTooLarge(1))) {
                let error = $0 as! DivergenceError
                XCTAssertEqual(error.value.bitPattern == first.bitPattern || (error.value.isNaN && first.isNaN), true,
                               "\(values): reported \(error.value)")
                XCTAssertEqual(error.step, 3)
                XCTAssertEqual(error.quantity, .loss)
            }
        }
    }

    func testTheCauseIsEvaluatedOnlyWhenTheCheckFails() throws {
        var evaluations = 0
        func cause() -> DivergenceError.Cause {
            evaluations += 1
            return .modelNotFinite
        }
        try DivergenceError.check(1.0, .loss, model: "m", step: 0, cause: cause())
        XCTAssertEqual(evaluations, 0)
        XCTAssertThrowsError(try DivergenceError.check(Double.nan, .loss, model: "m", step: 0, cause: cause()))
        XCTAssertEqual(evaluations, 1)
    }

    func testTheMessageIsOneSentenceNamingModelStepQuantityAndWhatToChange() {
        let cases: [(DivergenceError.Cause, String)] = [
            (.learningRateTooLarge(1e100), "lower it"), (.betaTooSmall(1e-200), "raise beta"),
            (.hiddenStatesTooLarge(1e310), "rescale them"), (.temperatureTooSmall(1e-320), "temperature of 1e-3 or more"),
            (.modelNotFinite, "lower that and train again"),
        ]
        for (cause, advice) in cases {
            let error = DivergenceError(model: "im_rm (closed form)", step: 12, quantity: .logits, value: .nan, cause: cause)
            let text = error.description
            XCTAssertTrue(text.hasPrefix("im_rm (closed form) diverged at step 12: the logits became nan; "), text)
            XCTAssertTrue(text.contains(advice), text)
            XCTAssertFalse(text.contains("\n"), text)
            XCTAssertEqual(error.inContext("seed 2").model, "im_rm (closed form) (seed 2)")
        }
    }

    func testTheLikelyCauseBlamesHugeRepresentationsElseTheLearningRate() {
        XCTAssertEqual(DivergenceError.likelyCause(learningRate: 0.1, largestSquaredNorm: 1e310),
                       .hiddenStatesTooLarge(1e310))
        XCTAssertEqual(DivergenceError.likelyCause(learningRate: 0.1, largestSquaredNorm: .infinity),
                       .hiddenStatesTooLarge(.infinity))
        XCTAssertEqual(DivergenceError.likelyCause(learningRate: 1e100, largestSquaredNorm: 40), .learningRateTooLarge(1e100))
        let rows = Matrix(rowVectors: [[3, 4], [1e200, 0], [1, 1]])
        XCTAssertEqual(DivergenceError.largestSquaredRowNorm(rows), .infinity, "1e200^2 overflows")
        XCTAssertEqual(DivergenceError.largestSquaredRowNorm(Matrix(rowVectors: [[3, 4], [1, 1]])), 25)
        XCTAssertTrue(DivergenceError.largestSquaredRowNorm(Matrix(rowVectors: [[1, 1], [.nan, 0], [9, 9]])).isNaN)
    }
}

final class NaNPropagatingTests: XCTestCase {
    func testSwiftMaxForgetsANaNUnlessItComesFirstButTheseNeverDo() {
        // The bug being guarded against: the running maximum's answer depends on where the NaN sits.
        XCTAssertEqual(Swift.max(0.0, .nan), 0)
        XCTAssertTrue(Swift.max(Double.nan, 0).isNaN)
        XCTAssertTrue(NaNPropagating.max(0, .nan).isNaN)
        XCTAssertTrue(NaNPropagating.max(.nan, 0).isNaN)
        for position in 0..<4 {
            var values: [Double] = [1, -5, 2, 3]
            values[position] = .nan
            XCTAssertTrue(NaNPropagating.maxAbs(values).isNaN, "NaN at \(position)")
            XCTAssertTrue(NaNPropagating.maxAbsDifference(values, [0, 0, 0, 0]).isNaN, "NaN at \(position)")
            XCTAssertTrue(NaNPropagating.maxAbsDifference([0, 0, 0, 0], values).isNaN, "NaN at \(position)")
            XCTAssertTrue(NaNPropagating.maxRelativeDifference(values, [1, 1, 1, 1]).isNaN, "NaN at \(position)")
            XCTAssertTrue(NaNPropagating.maxRelativeDifference([1, 1, 1, 1], values).isNaN, "NaN at \(position)")
            XCTAssertTrue(NaNPropagating.fraction(values) { $0 > 0 }.isNaN, "NaN at \(position)")
            XCTAssertTrue(NaNPropagating.accuracy(margins: values).isNaN, "NaN at \(position)")
            XCTAssertTrue(Matrix(rows: 2, columns: 2, elements: values).maxAbs.isNaN, "NaN at \(position)")
        }
    }

    func testOnNaNFreeInputTheyEqualTheOrdinaryReductionsExactly() {
        var generator = SeededGenerator(seed: 4)
        let a = GaussianSampling.vector(count: 200, using: &generator)
        let b = GaussianSampling.vector(count: 200, using: &generator).map { 3 * $0 }
        XCTAssertEqual(NaNPropagating.maxAbs(a), a.reduce(0) { Swift.max($0, abs($1)) })
        XCTAssertEqual(NaNPropagating.maxAbsDifference(a, b), zip(a, b).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) })
        XCTAssertEqual(NaNPropagating.maxRelativeDifference(a, b),
                       zip(a, b).reduce(0) { Swift.max($0, abs($1.0 - $1.1) / Swift.max(1, abs($1.1))) })
        XCTAssertEqual(NaNPropagating.fraction(a) { $0 > 0 }, Double(a.filter { $0 > 0 }.count) / 200)
        XCTAssertEqual(NaNPropagating.accuracy(margins: [1, -1, 0, 2]), 0.625)
        XCTAssertTrue(NaNPropagating.fraction([]) { $0 > 0 }.isNaN)
        XCTAssertTrue(NaNPropagating.accuracy(margins: []).isNaN)
        XCTAssertEqual(NaNPropagating.maxAbs([Double]()), 0)
        XCTAssertEqual(NaNPropagating.maxAbs([-.infinity, 1]), .infinity)
    }
}
