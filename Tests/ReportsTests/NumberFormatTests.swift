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
        XCTAssertEqual(NumberFormat.significant(Double.leastNonzeroMagnitude, digits: 2), "4.9e-324", "the smallest subnormal")
    }

    func testSpecialValues() {
        XCTAssertEqual(NumberFormat.significant(.nan), "NaN")
        XCTAssertEqual(NumberFormat.significant(.infinity), "inf")
        XCTAssertEqual(NumberFormat.significant(-.infinity), "-inf")
        XCTAssertEqual(NumberFormat.significant(0), "0")
        XCTAssertEqual(NumberFormat.significant(-0.0), "0")
        XCTAssertEqual(NumberFormat.fixed(-0.001, decimals: 2), "0.00", "a value that rounds to zero has no sign")
        XCTAssertEqual(NumberFormat.fixed(-0.006, decimals: 2), "-0.01")
        XCTAssertEqual(NumberFormat.fixed(0.5, decimals: 0), "0", "round half to even, as printf does")
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
                XCTAssertLessThanOrEqual(abs(parsed - value), unit * 0.5 * (1 + 1e-9), "\(value) -> \(text)")
                XCTAssertEqual(text.filter(\.isNumber).drop(while: { $0 == "0" }).count >= digits || text.contains("e"),
                               true, "\(value) -> \(text) shows fewer than \(digits) digits")
            }
            value *= 7.31
        }
    }
}
