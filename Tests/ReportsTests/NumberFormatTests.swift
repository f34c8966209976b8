import Foundation
import Reports
import XCTest

final class NumberFormatTests: XCTestCase {
    func testSignificantDigitsKeepTrailingZerosAndRoundCorrectly() {
        XCTAssertEqual(NumberFormat.significant(0.99312, digits: 3), "0.993")
        XCTAssertEqual(NumberFormat.significant(1, digits: 4), "1.000")
        XCTAssertEqual(NumberFormat.significant(0.022, digits: 2), "0.022")
        XCTAssertEqual(NumberFormat.significant(1.014, digits: 4), "1.014")
        XCTAssertEqual(NumberFormat.significant(123.456, digits: 4), "123.5")
        XCTAssertEqual(NumberFormat.significant(123456, digits: 3), "123000")
        XCTAssertEqual(NumberFormat.significant(9.9996, digits: 4), "10.00", "rounding carries into a new digit")
        XCTAssertEqual(NumberFormat.significant(0.00012345, digits: 3), "0.000123")
        XCTAssertEqual(NumberFormat.significant(-0.5, digits: 2), "-0.50")
    }

    func testScientificNotationOutsideThePlainRange() {
        XCTAssertEqual(NumberFormat.significant(1.5e-7, digits: 3), "1.50e-7")
        XCTAssertEqual(NumberFormat.significant(-2.5e12, digits: 2), "-2.5e12")
        XCTAssertEqual(NumberFormat.significant(1e6, digits: 1), "1e6")
        XCTAssertEqual(NumberFormat.significant(Double.leastNonzeroMagnitude, digits: 2), "5.0e-324",
                       "the smallest subnormal, whose shortest round-trip form is 5e-324")
    }

    func testSpecialValues() {
        XCTAssertEqual(NumberFormat.significant(.nan), "NaN")
        XCTAssertEqual(NumberFormat.significant(.infinity), "inf")
        XCTAssertEqual(NumberFormat.significant(-.infinity), "-inf")
        XCTAssertEqual(NumberFormat.significant(0), "0")
        XCTAssertEqual(NumberFormat.significant(-0.0), "0")
        XCTAssertEqual(NumberFormat.fixed(-0.001, decimals: 2), "0.00", "a value that rounds to zero has no sign")
        XCTAssertEqual(NumberFormat.fixed(-0.006, decimals: 2), "-0.01")
        XCTAssertEqual(NumberFormat.fixed(0.5, decimals: 0), "1", "ties round away from zero")
        XCTAssertEqual(NumberFormat.fixed(2.675, decimals: 2), "2.68", "ties are decided on the decimal form")
        XCTAssertEqual(NumberFormat.fixed(0.004, decimals: 2), "0.00")
        XCTAssertEqual(NumberFormat.fixed(0.005, decimals: 2), "0.01")
        XCTAssertEqual(NumberFormat.fixed(999.96, decimals: 1), "1000.0")
        XCTAssertEqual(NumberFormat.fixed(1e20, decimals: 0), "100000000000000000000")
        XCTAssertEqual(NumberFormat.fixed(1.5e-7, decimals: 3), "0.000")
        XCTAssertEqual(NumberFormat.fixed(.nan, decimals: 3), "NaN")
    }

    func testSignificantDigitsRoundTripThroughParsing() {
        // The printed value, parsed back, is within half a unit in the last shown digit.
        var value = 1.234567891e-6
        while value < 1e9 {
            for digits in 1...8 {
                let text = NumberFormat.significant(value, digits: digits)
                guard let parsed = Double(text) else {
                    XCTFail("\"\(text)\" does not parse")
                    continue
                }
                let unit = pow(10, floor(log10(value)) - Double(digits - 1))
                XCTAssertLessThanOrEqual(abs(parsed - value), unit * 0.5 * (1 + 1e-7), "\(value) -> \(text)")
                XCTAssertEqual(text.filter(\.isNumber).drop(while: { $0 == "0" }).count >= digits || text.contains("e"),
                               true, "\(value) -> \(text) shows fewer than \(digits) digits")
            }
            value *= 7.31
        }
    }
}

final class NumberFormatLocaleTests: XCTestCase {
    /// Under a decimal-comma C locale the output must not change (golden files are compared byte for
    /// byte on machines with any locale). Skipped where no such locale is installed.
    func testOutputDoesNotDependOnTheCLocale() throws {
        let before = (NumberFormat.significant(0.5, digits: 3), NumberFormat.fixed(1.25, decimals: 1),
                      SVGLinePlot(title: "t", xLabel: "x", yLabel: "y",
                                  series: [PlotSeries(name: "s", x: [0.5, 1.5], y: [0.25, 0.75])]).render())
        guard let previous = setlocale(LC_NUMERIC, nil).map({ String(cString: $0) }) else {
            throw XCTSkip("cannot read the current C locale")
        }
        guard setlocale(LC_NUMERIC, "de_DE.UTF-8") != nil else {
            throw XCTSkip("locale de_DE.UTF-8 is not installed")
        }
        defer { setlocale(LC_NUMERIC, previous) }
        XCTAssertEqual(String(format: "%.1f", locale: Locale(identifier: "de_DE"), 1.5), "1,5",
                       "the locale is active, so the checks below can fail")
        XCTAssertEqual(NumberFormat.significant(0.5, digits: 3), before.0)
        XCTAssertEqual(NumberFormat.fixed(1.25, decimals: 1), before.1)
        XCTAssertEqual(SVGLinePlot(title: "t", xLabel: "x", yLabel: "y",
                                   series: [PlotSeries(name: "s", x: [0.5, 1.5], y: [0.25, 0.75])]).render(), before.2)
    }
}
