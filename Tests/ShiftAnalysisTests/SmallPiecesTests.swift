import LinearAlgebra
import MaxMargin
import RewardDynamics
import ShiftAnalysis
import Tasks
import TestSupport
import XCTest

final class FiveNumberSummaryTests: XCTestCase {
    func testKnownValues() {
        let summary = FiveNumberSummary([4, 1, 3, 2])
        XCTAssertEqual(summary.figures, [1, 1.75, 2.5, 3.25, 4])
        XCTAssertEqual(summary.count, 4)
        XCTAssertEqual(FiveNumberSummary([7]).figures, [7, 7, 7, 7, 7])
        // A NaN poisons every figure, wherever it sits (a diverged run is never summarized as a number).
        for sample in [[3, .nan, 1, 2], [.nan, 3, 1, 2], [3, 1, 2, .nan]] {
            XCTAssertTrue(FiveNumberSummary(sample).figures.allSatisfy(\.isNaN), "\(sample)")
            XCTAssertEqual(FiveNumberSummary(sample).count, 4)
        }
        XCTAssertTrue(FiveNumberSummary([]).figures.allSatisfy(\.isNaN))
    }

    func testOrderedAndPermutationInvariant() {
        propertySweep(seeds: 0..<8) { sweep in
            let values = GaussianSampling.vector(count: 1 + Int(sweep.seed) * 3, using: &sweep.generator)
            let summary = FiveNumberSummary(values)
            let figures = summary.figures
            XCTAssertEqual(figures, figures.sorted())
            XCTAssertEqual(summary.minimum, values.min())
            XCTAssertEqual(summary.maximum, values.max())
            XCTAssertEqual(FiveNumberSummary(values.shuffled(using: &sweep.generator)).figures, figures)
        }
    }
}

final class MaxMarginPredictionTests: XCTestCase {
    func testTrainingRowsArePredictedCorrectAndScaleDoesNotMatter() throws {
        try propertySweep(seeds: 0..<6) { sweep in
            let z = GaussianSampling.matrix(rows: 5, columns: 9, using: &sweep.generator)
            let evaluation = GaussianSampling.matrix(rows: 7, columns: 9, using: &sweep.generator)
            let separator = try XCTUnwrap(try HardMarginSVM.solve(z).solution).separator
            let training = MaxMarginPrediction(separator: separator, differences: z)
            // Feasibility of u*: <u*, z_i> >= 1 up to the solver's certified tolerance.
            XCTAssertGreaterThanOrEqual(training.innerProducts.min()!, 1 - 1e-9)
            XCTAssertEqual(training.predictedCorrectFraction, 1)
            let prediction = MaxMarginPrediction(separator: separator, differences: evaluation)
            let scaled = MaxMarginPrediction(separator: separator.map { 3 * $0 }, differences: evaluation)
            XCTAssertEqual(prediction.predictedCorrect, scaled.predictedCorrect)
            assertClose(prediction.cosines, scaled.cosines, tolerance: 1e-14)
            for (cosine, product) in zip(prediction.cosines, prediction.innerProducts) {
                XCTAssertTrue((-1...1).contains(cosine))
                XCTAssertEqual(cosine > 0, product > 0)
            }
        }
    }

    func testZeroRowHasCosineZeroAndIsNotPredictedCorrect() {
        let prediction = MaxMarginPrediction(separator: [1, 0], differences: Matrix(rows: 1, columns: 2))
        XCTAssertEqual(prediction.cosines, [0])
        XCTAssertEqual(prediction.predictedCorrect, [false])
    }
}

final class MarginAccuracyTests: XCTestCase {
    func testTiesCountHalfAndAgreesWithPairMetrics() {
        XCTAssertEqual(MarginAccuracy.accuracy([0, 0, 0]), 0.5)
        XCTAssertEqual(MarginAccuracy.accuracy([1, -1, 0, 2]), 0.625)
        XCTAssertTrue(MarginAccuracy.accuracy([]).isNaN)
        let rewards = [0.3, -0.1, 0.2, 0.2, -1.0, 0.5]
        let pairs = [IndexedPair(chosen: 0, rejected: 1), IndexedPair(chosen: 2, rejected: 3),
                     IndexedPair(chosen: 4, rejected: 5)]
        let margins = pairs.map { rewards[$0.chosen] - rewards[$0.rejected] }
        XCTAssertEqual(MarginAccuracy.accuracy(margins), PairMetrics(rewards: rewards, pairs: pairs).accuracy)
    }
}

final class ResponseTokenNoveltyTests: XCTestCase {
    func testTokenShiftSetsSplitAsDesigned() throws {
        for overlap in [0.0, 1.0] {
            let instance = try ShiftFixtures.tokenShift(seed: 2, overlap: overlap).make()
            let novelty = ResponseTokenNovelty(instance: instance)
            for set in instance.evaluationSets {
                let unseen = set.pairs.map { novelty.isUnseen($0, in: instance) }
                switch set.name {
                case "train", "test":
                    XCTAssertFalse(unseen.contains(true), set.name)
                default:
                    // Paraphrases use new templates; with overlap 1 they share the answer tokens.
                    XCTAssertEqual(unseen, [Bool](repeating: overlap == 0, count: unseen.count), "\(set.name) \(overlap)")
                }
            }
            XCTAssertEqual(Set(novelty.unseenVocabulary(size: instance.vocabularySize)).union(novelty.trainingTokens),
                           Set(0..<instance.vocabularySize))
        }
    }
}

final class PairDifferencesTests: XCTestCase {
    func testRowsAreLastHiddenDifferencesAndSwapNegates() throws {
        var generator = SeededGenerator(seed: 5)
        let instance = try RandomInstance(vocabularySize: 10, hiddenWidth: 4, trainPairs: 3, responseLength: 2)
            .make(using: &generator)
        let z = PairDifferences.matrix(instance.train, in: instance)
        for (i, pair) in instance.train.enumerated() {
            let plus = instance.sequences[pair.chosen]!.hidden.row(2)
            let minus = instance.sequences[pair.rejected]!.hidden.row(2)
            XCTAssertEqual(z.row(i), zip(plus, minus).map(-))
        }
        let swapped = PairDifferences.matrix(instance.train.map { .init(chosen: $0.rejected, rejected: $0.chosen) },
                                             in: instance)
        XCTAssertEqual(swapped.elements, z.elements.map { -$0 })
    }
}
