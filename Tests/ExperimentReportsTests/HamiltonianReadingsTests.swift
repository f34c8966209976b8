@testable import ExperimentReports
import XCTest

/// The report's sentence on generation follows the per-seed figures: "verification without generation"
/// only when every seed's policy puts at most `generationThreshold` on valid cycles.
final class HamiltonianReadingsTests: XCTestCase {
    func testWithoutGenerationOnlyWhenEverySeedStaysAtMostTheThreshold() throws {
        let quiet = try XCTUnwrap(HamiltonianReport.generationReading(testAccuracy: 0.93, validAfter: [2e-5, 0.004, 0.01],
                                                                       chance: 0.027))
        XCTAssert(quiet.hasPrefix("Verification came without generation"), quiet)

        let one = try XCTUnwrap(HamiltonianReport.generationReading(testAccuracy: 0.93, validAfter: [2e-5, 0.004, 0.122],
                                                                     chance: 0.027))
        XCTAssert(one.hasPrefix("In 1 of 3 seed(s)") && one.contains("0.122"), one)
    }

    func testNoClaimWhenTheModelDoesNotVerify() {
        XCTAssertNil(HamiltonianReport.generationReading(testAccuracy: 0.55, validAfter: [0, 0], chance: 0.027))
        // A policy that generates is reported even when the verifier is weak.
        XCTAssertNotNil(HamiltonianReport.generationReading(testAccuracy: 0.55, validAfter: [0.2, 0], chance: 0.027))
    }
}
