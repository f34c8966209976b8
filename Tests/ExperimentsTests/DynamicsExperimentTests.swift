import Experiments
import Foundation
import RewardDynamics
import TestSupport
import TheorycheckCore
import XCTest

final class DynamicsExperimentTests: XCTestCase {
    /// Each reward model trains on its own thread; the result is the same bit for bit whatever the
    /// thread count (the models are independent and every one keeps its own arithmetic order).
    func testResultDoesNotDependOnTheThreadCount() throws {
        let instance = try ShiftFixtures.tokenShift(seed: 2).make()
        func run(threads: Int) throws -> String {
            let result = try DynamicsExperiment(steps: 12, explicitLearningRate: 0.05, implicitLearningRate: 5,
                                                threads: threads).run(on: instance)
            return try JSONOutput.encode(result)
        }
        let serial = try run(threads: 1)
        XCTAssertEqual(try run(threads: 2), serial)
        XCTAssertEqual(try run(threads: 4), serial)
        XCTAssertTrue(serial.contains("\"first_order\""), "the closed-form checks ran")
    }

    /// Progress reaches the last step exactly once and never goes backwards.
    func testProgressIsMonotoneAndEndsAtTheLastStep() throws {
        final class Seen: @unchecked Sendable {
            let lock = NSLock()
            var steps: [Int] = []
        }
        let seen = Seen()
        let instance = try ShiftFixtures.tokenShift(seed: 2).make()
        _ = try DynamicsExperiment(steps: 7, explicitLearningRate: 0.05, implicitLearningRate: 5, threads: 2)
            .run(on: instance) { step, total in
                XCTAssertEqual(total, 7)
                seen.lock.lock()
                seen.steps.append(step)
                seen.lock.unlock()
            }
        XCTAssertEqual(seen.steps, Array(1...7))
    }
}
