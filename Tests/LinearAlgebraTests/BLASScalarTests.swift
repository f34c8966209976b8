import Foundation
import LinearAlgebra
import XCTest

final class BLASScalarTests: XCTestCase {
    /// The vectorized float32 exponential against libm's expf: within 2 ulp on the whole normal range
    /// (the Cephes polynomial's error is below 2^-23 relative, range reduction and scaling are exact), and
    /// exactly 0 for -infinity, as a masked softmax entry needs.
    func testFloat32ExponentiateIsWithinTwoUlpOfExpf() {
        var inputs: [Float] = stride(from: -87.0, through: 88.0, by: 0.01).map { Float($0) }
        inputs += [0, -0.0, 1e-8, -1e-8, .ulpOfOne, 0.34657359, -0.34657359]
        var values = inputs
        values.withUnsafeMutableBufferPointer { Float.exponentiate($0.baseAddress!, count: $0.count) }
        var worst: Float = 0
        for (x, y) in zip(inputs, values) {
            let exact = Float(Foundation.exp(Double(x)))
            worst = max(worst, abs(y - exact) / exact.ulp)
        }
        XCTAssertLessThanOrEqual(worst, 2, "worst error in ulp")
        var extremes: [Float] = [-.infinity, -200, -88, 200, .infinity]
        extremes.withUnsafeMutableBufferPointer { Float.exponentiate($0.baseAddress!, count: $0.count) }
        XCTAssertEqual(Array(extremes[0..<3]), [0, 0, 0])
        XCTAssert(extremes[3].isFinite && extremes[3] > 1e38 && extremes[4] == extremes[3])
    }

    /// The float64 bulk exponential is FastExponential's, bit for bit, and so within 4e-16 relative of
    /// libm's exp on the normal range; e^-infinity = 0 exactly (a masked softmax entry).
    func testFloat64ExponentiateIsFastExponential() {
        let inputs = stride(from: -700.0, through: 700.0, by: 0.37).map { $0 } + [0, -0.0, 1e-300, -1e-17]
        var values = inputs
        values.withUnsafeMutableBufferPointer { Double.exponentiate($0.baseAddress!, count: $0.count) }
        XCTAssertEqual(values, inputs.map { FastExponential.exp($0) }, "bit for bit")
        for (x, y) in zip(inputs, values) {
            XCTAssertLessThanOrEqual(abs(y - Foundation.exp(x)), 4e-16 * Foundation.exp(x), "exp(\(x))")
        }
        var extremes: [Double] = [-.infinity, -800, .nan]
        extremes.withUnsafeMutableBufferPointer { Double.exponentiate($0.baseAddress!, count: $0.count) }
        XCTAssertEqual(Array(extremes[0..<2]), [0, 0])
        XCTAssert(extremes[2].isNaN)
    }
}
