import TheorycheckCore
import XCTest

final class StepScheduleTests: XCTestCase {
    func testKnownGrids() {
        XCTAssertEqual(StepSchedule.decades.steps(upTo: 0), [0])
        XCTAssertEqual(StepSchedule.decades.steps(upTo: 500), [0, 1, 10, 100, 500])
        XCTAssertEqual(StepSchedule.decades.steps(upTo: 1000), [0, 1, 10, 100, 1000])
        XCTAssertEqual(StepSchedule.oneTwoFive.steps(upTo: 0), [0])
        XCTAssertEqual(StepSchedule.oneTwoFive.steps(upTo: 100), [0, 1, 2, 5, 10, 20, 50, 100])
        XCTAssertEqual(StepSchedule.logSpaced(perDecade: 10).steps(upTo: 0), [0])
        XCTAssertEqual(StepSchedule.logSpaced(perDecade: 10).steps(upTo: 1), [0, 1])
        XCTAssertEqual(StepSchedule.logSpaced(perDecade: 2).steps(upTo: 100), [0, 1, 3, 10, 32, 100])
        XCTAssertEqual(StepSchedule.trajectory.steps(upTo: 12), Array(0...12))
    }

    /// Every schedule starts at 0, ends at the total, is strictly increasing and holds every power of ten.
    func testShapeOfEverySchedule() {
        let schedules: [StepSchedule] = [.decades, .oneTwoFive, .logSpaced(perDecade: 10), .logSpaced(perDecade: 1),
                                         .trajectory]
        for schedule in schedules {
            for total in [1, 7, 100, 12345] {
                let steps = schedule.steps(upTo: total)
                XCTAssertEqual(steps.first, 0, "\(schedule) \(total)")
                XCTAssertEqual(steps.last, total, "\(schedule) \(total)")
                XCTAssertEqual(steps, Array(Set(steps)).sorted(), "\(schedule) \(total)")
                var power = 1
                while power < total {
                    XCTAssertTrue(steps.contains(power), "\(power) missing for \(schedule) \(total)")
                    power *= 10
                }
            }
        }
        XCTAssertLessThanOrEqual(StepSchedule.logSpaced(perDecade: 10).steps(upTo: 100_000).count, 52)
    }
}
