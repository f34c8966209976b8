import Foundation
import Reports
import TestSupport
import XCTest

final class AxisTicksTests: XCTestCase {
    func testLinearTicksOnTheUnitInterval() {
        let ticks = AxisTicks.linear(from: 0, to: 1, targetCount: 5)
        XCTAssertEqual(ticks.map(\.label), ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        XCTAssertEqual(AxisTicks.linear(from: 0, to: 500, targetCount: 5).map(\.label),
                       ["0", "100", "200", "300", "400", "500"])
        XCTAssertEqual(AxisTicks.linear(from: -0.06, to: 0.06, targetCount: 6).map(\.label),
                       ["-0.06", "-0.04", "-0.02", "0.00", "0.02", "0.04", "0.06"])
    }

    /// Over random ranges: ticks lie inside the range, are evenly spaced by 1, 2 or 5 times a power of
    /// ten, number between floor(targetCount / 2.5) and targetCount + 1, and have distinct labels.
    func testLinearTicksAreNiceEvenlySpacedAndInside() {
        propertySweep(seeds: 0..<40, shapes: [3, 6, 10]) { sweep, target in
            let scale = pow(10, Double.random(in: -6...6, using: &sweep.generator))
            let a = Double.random(in: -1...1, using: &sweep.generator) * scale
            let b = a + Double.random(in: 0.01...3, using: &sweep.generator) * scale
            let ticks = AxisTicks.linear(from: a, to: b, targetCount: target)
            XCTAssertGreaterThanOrEqual(ticks.count, max(1, Int(Double(target) / 2.5)), "\(a) ... \(b)")
            XCTAssertLessThanOrEqual(ticks.count, target + 1, "\(a) ... \(b)")
            let slack = 1e-6 * (b - a)
            XCTAssertTrue(ticks.allSatisfy { $0.value >= a - slack && $0.value <= b + slack }, "\(a) ... \(b)")
            XCTAssertEqual(Set(ticks.map(\.label)).count, ticks.count, "duplicate labels \(ticks.map(\.label))")
            guard ticks.count >= 2 else { return }
            let step = ticks[1].value - ticks[0].value
            let mantissa = step / pow(10, floor(log10(step) + 1e-9))
            XCTAssertTrue([1.0, 2, 5].contains { abs(mantissa - $0) < 1e-6 }, "step \(step)")
            for index in 1..<ticks.count {
                XCTAssertEqual(ticks[index].value - ticks[index - 1].value, step, accuracy: 1e-9 * step)
            }
        }
    }

    func testLogarithmicTicks() {
        XCTAssertEqual(AxisTicks.logarithmic(from: 1, to: 500).map(\.label),
                       ["1", "2", "5", "10", "20", "50", "100", "200", "500"])
        XCTAssertEqual(AxisTicks.logarithmic(from: 0.5, to: 1e6).map(\.label),
                       ["1", "10", "100", "1000", "10000", "100000", "1e6"])
        XCTAssertEqual(AxisTicks.logarithmic(from: 0.003, to: 0.2).map(\.label),
                       ["0.005", "0.01", "0.02", "0.05", "0.1", "0.2"])
        // Over 30 decades only every third power of ten, so labels never crowd.
        let wide = AxisTicks.logarithmic(from: 1e-15, to: 1e15)
        XCTAssertLessThanOrEqual(wide.count, 11)
        XCTAssertGreaterThanOrEqual(wide.count, 5)
    }

    func testNiceStep() {
        XCTAssertEqual(AxisTicks.niceStep(span: 1, targetCount: 5), 0.2)
        XCTAssertEqual(AxisTicks.niceStep(span: 1, targetCount: 4), 0.5)
        XCTAssertEqual(AxisTicks.niceStep(span: 500, targetCount: 6), 100)
        XCTAssertEqual(AxisTicks.niceStep(span: 7, targetCount: 7), 1)
    }
}
