import Foundation
import RewardDynamics
import TheorycheckCore
import XCTest

final class PairMetricsTests: XCTestCase {
    func testTiesCountHalfAndNormalizedMarginUsesUnbiasedStd() {
        let pairs = [IndexedPair(chosen: 0, rejected: 1), IndexedPair(chosen: 2, rejected: 3),
                     IndexedPair(chosen: 4, rejected: 5)]
        let metrics = PairMetrics(rewards: [1, 0, 2, 2, -1, 0], pairs: pairs)
        XCTAssertEqual(metrics.accuracy, 0.5)  // (1 win + 1/2 tie) / 3
        XCTAssertEqual(metrics.strictAccuracy, 1.0 / 3.0)
        // rewards 1, 0, 2, 2, -1, 0: mean 2/3, unbiased variance (1/9+4/9+16/9+16/9+25/9+4/9)/5 = 66/45.
        let std = (66.0 / 45.0).squareRoot()
        XCTAssertEqual(metrics.normalizedMargin, (2.0 / 3.0) / (std + 1e-8), accuracy: 1e-14)
        XCTAssertEqual(metrics.meanChosenReward, 2.0 / 3.0, accuracy: 1e-15)
        XCTAssertEqual(metrics.meanRejectedReward, 2.0 / 3.0, accuracy: 1e-15)
    }

    func testAllEqualRewardsGiveExactlyChance() {
        let pairs = (0..<4).map { IndexedPair(chosen: 2 * $0, rejected: 2 * $0 + 1) }
        let metrics = PairMetrics(rewards: [Double](repeating: 0, count: 8), pairs: pairs)
        XCTAssertEqual(metrics.accuracy, 0.5)
        XCTAssertEqual(metrics.strictAccuracy, 0)
        XCTAssertEqual(metrics.normalizedMargin, 0)
        XCTAssertEqual(metrics.meanMargin, 0)
    }

    func testSignedMeanMarginAgainstTheNormalizedOne() {
        // Pairs (0, 1) and (2, 3): margins +3 and -1.
        let metrics = PairMetrics(rewards: [4, 1, 0, 1],
                                  pairs: [IndexedPair(chosen: 0, rejected: 1), IndexedPair(chosen: 2, rejected: 3)])
        XCTAssertEqual(metrics.pairs, 2)
        XCTAssertEqual(metrics.meanMargin, 1)
        XCTAssertEqual(metrics.meanMargin, metrics.meanChosenReward - metrics.meanRejectedReward)
        XCTAssertEqual(metrics.accuracy, 0.5)
        // mean |m| = 2; rewards 4, 1, 0, 1 have mean 1.5 and unbiased variance 3.
        XCTAssertEqual(metrics.normalizedMargin, 2 / (3.0.squareRoot() + 1e-8), accuracy: 1e-15)
        let flipped = PairMetrics(rewards: [1, 4, 1, 0],
                                  pairs: [IndexedPair(chosen: 0, rejected: 1), IndexedPair(chosen: 2, rejected: 3)])
        XCTAssertEqual(flipped.meanMargin, -1, "the signed margin changes sign with the preference")
        XCTAssertEqual(flipped.normalizedMargin, metrics.normalizedMargin, "the normalized margin does not")
    }

    func testEmptySetIsNullInJSONBesideZeroPairs() throws {
        let metrics = PairMetrics(rewards: [], pairs: [])
        XCTAssertEqual(metrics.pairs, 0)
        let text = try JSONOutput.encode(metrics)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        XCTAssertEqual(json["pairs"] as? Int, 0)
        for key in ["accuracy", "strict_accuracy", "normalized_margin", "mean_margin", "mean_chosen_reward",
                    "mean_rejected_reward"] {
            XCTAssertTrue(json[key] is NSNull, "\(key) in \(text)")
        }
    }
}
