import TheorycheckCore
import XCTest

final class LearningRateScheduleTests: XCTestCase {
    func testConstantIsOneEverywhere() {
        for step in 0..<50 { XCTAssertEqual(LearningRateSchedule.constant.multiplier(step: step, of: 50), 1) }
    }

    func testWarmupRisesLinearlyToOneThenTheCosineNeverRises() {
        let schedule = LearningRateSchedule.warmupCosine(warmupFraction: 0.1, floor: 0)
        let total = 100
        let values = (0..<total).map { schedule.multiplier(step: $0, of: total) }
        // W = 10: (s + 1) / 10 for s < 10, exactly 1 at s = 9 and s = 10.
        for step in 0..<10 { XCTAssertEqual(values[step], Double(step + 1) / 10, accuracy: 1e-15) }
        XCTAssertEqual(values[9], 1)
        XCTAssertEqual(values[10], 1)
        for step in 11..<total { XCTAssertLessThanOrEqual(values[step], values[step - 1], "step \(step)") }
        XCTAssertTrue(values.allSatisfy { $0 > 0 && $0 <= 1 })
        // Halfway through the decay: (1 + cos(pi / 2)) / 2 = 1/2.
        XCTAssertEqual(values[55], 0.5, accuracy: 1e-12)
        XCTAssertLessThan(values[total - 1], 1e-3)
    }

    func testTheFloorBoundsTheDecayAndNoWarmupStartsAtOne() {
        let schedule = LearningRateSchedule.warmupCosine(warmupFraction: 0, floor: 0.1)
        XCTAssertEqual(schedule.multiplier(step: 0, of: 40), 1)
        for step in 0..<40 { XCTAssertGreaterThanOrEqual(schedule.multiplier(step: step, of: 40), 0.1) }
        XCTAssertEqual(schedule.multiplier(step: 39, of: 40), 0.1, accuracy: 0.01)
    }

    func testOutOfRangeSettingsThrowSentences() {
        XCTAssertNoThrow(try LearningRateSchedule.constant.validate())
        XCTAssertNoThrow(try LearningRateSchedule.warmupCosine(warmupFraction: 0.05, floor: 0).validate())
        for bad in [LearningRateSchedule.warmupCosine(warmupFraction: 1, floor: 0), .warmupCosine(warmupFraction: -0.1, floor: 0),
                    .warmupCosine(warmupFraction: .nan, floor: 0), .warmupCosine(warmupFraction: 0.1, floor: 1.5)]
        {
            XCTAssertThrowsError(try bad.validate(), "\(bad)")
        }
    }
}
