import Foundation
import LinearAlgebra
import TestSupport
import XCTest

final class StableMathTests: XCTestCase {
    func testSoftplusAndLogSigmoidAreFiniteAndAccurateInTheTails() {
        XCTAssertEqual(StableMath.softplus(1000), 1000)
        XCTAssertEqual(StableMath.softplus(-1000), 0)
        XCTAssertEqual(StableMath.logSigmoid(-1000), -1000)
        // ln sigma(-40) = -40 - ln(1 + e^-40): the naive log(1/(1+e^40)) loses e^-40 entirely, this keeps it.
        XCTAssertEqual(StableMath.logSigmoid(40), -exp(-40), accuracy: 1e-30)
        for x in stride(from: -30.0, through: 30.0, by: 0.7) {
            XCTAssertEqual(StableMath.softplus(x), log(1 + exp(x)), accuracy: 1e-12 * max(1, abs(x)))
            XCTAssertEqual(StableMath.sigmoid(x) + StableMath.sigmoid(-x), 1, accuracy: 1e-15)
        }
    }

    func testLogSumExpAndSoftmax() {
        XCTAssertEqual(StableMath.logSumExp([1000, 1000]), 1000 + log(2), accuracy: 1e-12)
        XCTAssertEqual(StableMath.logSumExp([Double]()), -.infinity)
        propertySweep(seeds: 0..<6) { sweep in
            let x = GaussianSampling.vector(count: 7, scale: 20, using: &sweep.generator)
            let p = StableMath.softmax(x)
            XCTAssertEqual(p.reduce(0, +), 1, accuracy: 1e-14)
            XCTAssert(p.allSatisfy { $0 >= 0 })
            let matrix = StableMath.rowSoftmax(Matrix(rows: 1, columns: 7, elements: x))
            XCTAssertEqual(matrix.elements, p)
        }
    }
}
