import LinearAlgebra
import MaxMargin
import TestSupport
import XCTest

final class KKTReportTests: XCTestCase {
    private let z = Matrix(rowVectors: [[1, 0], [0, 1], [2, 3]])
    // u* = (1, 1), a = (1, 1, 0); <u*, (2, 3)> = 5.

    func testExactOptimumHasNoViolation() {
        let report = KKTReport(rows: z, separator: [1, 1], dualWeights: [1, 1, 0])
        XCTAssertEqual(report.primalFeasibility, 0)
        XCTAssertEqual(report.dualFeasibility, 0)
        XCTAssertEqual(report.complementarySlackness, 0)
        XCTAssertEqual(report.stationarity, 0)
        XCTAssertEqual(report.dataScale, 13.0.squareRoot())
        XCTAssertEqual(report.worstRelativeViolation, 0)
        XCTAssertTrue(report.isSatisfied(tolerance: 0))
    }

    func testEachKindOfWrongAnswerFailsItsCondition() {
        // Too short: every active constraint violated by 10%.
        let short = KKTReport(rows: z, separator: [0.9, 0.9], dualWeights: [0.9, 0.9, 0])
        XCTAssertEqual(short.primalFeasibility, -0.1, accuracy: 1e-15)
        XCTAssertGreaterThan(short.relativePrimalInfeasibility, 1e-2)
        // A feasible but longer u with weights that do not produce it: stationarity and slackness fail.
        let long = KKTReport(rows: z, separator: [2, 2], dualWeights: [1, 1, 0])
        XCTAssertEqual(long.stationarity, 2.0.squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(long.complementarySlackness, 1)
        XCTAssertFalse(long.isSatisfied(tolerance: 1e-3))
        // Weight on a row that is not active: slackness fails.
        let inactive = KKTReport(rows: z, separator: [1, 1], dualWeights: [1, 1, 0.1])
        XCTAssertEqual(inactive.complementarySlackness, 0.4, accuracy: 1e-15)
        XCTAssertFalse(inactive.isSatisfied(tolerance: 1e-3))
        // A negative weight.
        let negative = KKTReport(rows: z, separator: [1, 1], dualWeights: [1, 1, -0.5])
        XCTAssertEqual(negative.relativeDualInfeasibility, 0.5)
        // NaN never passes.
        XCTAssertFalse(KKTReport(rows: z, separator: [.nan, 1], dualWeights: [1, 1, 0]).isSatisfied(tolerance: 1))
    }

    func testRelativeViolationsAreScaleFree() {
        propertySweep(seeds: 0..<4) { sweep in
            let rows = GaussianSampling.matrix(rows: 6, columns: 3, using: &sweep.generator)
            let u = GaussianSampling.vector(count: 3, using: &sweep.generator)
            let a = GaussianSampling.vector(count: 6, using: &sweep.generator).map(abs)
            let base = KKTReport(rows: rows, separator: u, dualWeights: a)
            // Z -> c Z, u -> u / c, a -> a / c^2 leaves <u, z_i> and a_i z_i / |u| unchanged in ratio.
            let c = 8.0  // a power of two, so the scaling itself is exact
            let scaled = KKTReport(rows: c * rows, separator: u.map { $0 / c }, dualWeights: a.map { $0 / (c * c) })
            XCTAssertEqual(scaled.relativePrimalInfeasibility, base.relativePrimalInfeasibility,
                           accuracy: 1e-14 * max(1, base.relativePrimalInfeasibility))
            XCTAssertEqual(scaled.relativeComplementarySlackness, base.relativeComplementarySlackness,
                           accuracy: 1e-14 * max(1, base.relativeComplementarySlackness))
            XCTAssertEqual(scaled.relativeStationarity, base.relativeStationarity,
                           accuracy: 1e-14 * max(1, base.relativeStationarity))
        }
    }
}
