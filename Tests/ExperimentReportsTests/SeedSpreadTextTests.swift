@testable import ExperimentReports
import Experiments
import XCTest

final class SeedSpreadTextTests: XCTestCase {
    func testSeveralSeedsPrintMeanSdAndEverySeed() {
        let spread = [0.84, 0.95, 0.73].spread { $0 }
        XCTAssertEqual(spread.fixed, "0.840 ± 0.110 (0.840, 0.950, 0.730)")
        XCTAssertEqual(spread.text({ String(Int($0 * 100)) }, sd: { "sd\(Int(($0 * 100).rounded()))" }), "84 ± sd11 (84, 95, 73)")
    }

    func testOneSeedPrintsItsValueAlone() {
        XCTAssertEqual([0.5].spread { $0 }.fixed, "0.500")
        XCTAssertEqual([2e-6].spread { $0 }.significant, "2.00e-6")
    }
}
