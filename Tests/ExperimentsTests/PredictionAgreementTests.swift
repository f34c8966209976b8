import Experiments
import XCTest

final class PredictionAgreementTests: XCTestCase {
    func testPerfectZeroAndScaledPredictions() {
        let actual = [0.5, -1.0, 2.0, 0.25]
        let perfect = PredictionAgreement(predicted: actual, actual: actual)
        XCTAssertEqual(perfect.correlation, 1, accuracy: 1e-15)
        XCTAssertEqual(perfect.relativeError, 0)
        // Predicting no change at all is wrong by exactly the whole change.
        XCTAssertEqual(PredictionAgreement(predicted: [0, 0, 0, 0], actual: actual).relativeError, 1)
        // Twice the change: perfectly correlated, off by 100%.
        let doubled = PredictionAgreement(predicted: actual.map { 2 * $0 }, actual: actual)
        XCTAssertEqual(doubled.correlation, 1, accuracy: 1e-15)
        XCTAssertEqual(doubled.relativeError, 1, accuracy: 1e-15)
        // The opposite sign: correlation -1.
        XCTAssertEqual(PredictionAgreement(predicted: actual.map { -$0 }, actual: actual).correlation, -1, accuracy: 1e-15)
    }
}
