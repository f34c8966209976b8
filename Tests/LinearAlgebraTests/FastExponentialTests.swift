import Foundation
import LinearAlgebra
import XCTest

final class FastExponentialTests: XCTestCase {
    /// Within 5e-16 relative of libm's exp over the read-outs' range, and the edges as documented.
    func testAccuracyAndRange() {
        var generator = SystemRandomNumberGenerator()
        var worst = 0.0
        for _ in 0..<200_000 {
            let x = Double.random(in: -700...700, using: &generator)
            let libm = Foundation.exp(x)
            worst = max(worst, abs(FastExponential.exp(x) - libm) / libm)
        }
        for x in stride(from: -40.0, through: 0, by: 0.001) {
            worst = max(worst, abs(FastExponential.exp(x) - Foundation.exp(x)) / Foundation.exp(x))
        }
        XCTAssertLessThan(worst, 5e-16)
        XCTAssertEqual(FastExponential.exp(0), 1)
        XCTAssertEqual(FastExponential.exp(-800), 0)
        XCTAssertEqual(FastExponential.exp(-.infinity), 0)
        XCTAssertEqual(FastExponential.exp(800), .infinity)
        XCTAssertTrue(FastExponential.exp(.nan).isNaN)
    }

    /// The row pass gives the scalar's bits at every position (vector body and scalar tail), and a row's
    /// log-sum-exp is the same whether its exponentials are kept or not.
    func testRowPassesMatchTheScalarAndEachOther() {
        var generator = SystemRandomNumberGenerator()
        for count in [1, 7, 8, 9, 255, 256, 513, 1100] {
            let row = (0..<count).map { _ in Double.random(in: -30...5, using: &generator) }
            var out = [Double](repeating: 0, count: count)
            row.withUnsafeBufferPointer { input in
                out.withUnsafeMutableBufferPointer { output in
                    FastExponential.shiftedExponentials(input.baseAddress!, shift: 2, count: count, into: output.baseAddress!)
                }
            }
            for i in 0..<count { XCTAssertEqual(out[i], FastExponential.exp(row[i] - 2), "\(count) \(i)") }
            var kept = [Double](repeating: 0, count: count)
            let (a, b) = row.withUnsafeBufferPointer { input in
                kept.withUnsafeMutableBufferPointer { keep in
                    (FastExponential.logSumExp(input.baseAddress!, count: count, keepingIn: keep.baseAddress!),
                     FastExponential.logSumExp(input.baseAddress!, count: count, keepingIn: nil))
                }
            }
            XCTAssertEqual(a.logSumExp, b.logSumExp)
            XCTAssertEqual(a.sum, b.sum)
            XCTAssertEqual(a.logSumExp, StableMath.logSumExp(row), accuracy: 1e-13)
            XCTAssertEqual(kept.reduce(0, +), a.sum, accuracy: 1e-12 * a.sum)
        }
        // the vector lanes' clamps and edges, in the vector body (first 8) and in the tail
        let edges: [Double] = [-800, -708.5, -708, -707.9, 709, 709.5, 800, -.infinity, .infinity, .nan, -0.0,
                               1e-300, -745.2, 708.9, .nan, -1e-17, 3.5]
        var edgeOut = [Double](repeating: 0, count: edges.count)
        var inPlace = edges
        edges.withUnsafeBufferPointer { input in
            edgeOut.withUnsafeMutableBufferPointer { output in
                FastExponential.shiftedExponentials(input.baseAddress!, shift: 0, count: edges.count, into: output.baseAddress!)
            }
        }
        inPlace.withUnsafeMutableBufferPointer { FastExponential.exponentiate($0.baseAddress!, count: $0.count) }
        for (i, x) in edges.enumerated() {
            let scalar = FastExponential.exp(x)
            XCTAssertEqual(edgeOut[i].bitPattern, scalar.bitPattern, "shiftedExponentials at \(x)")
            XCTAssertEqual(inPlace[i].bitPattern, scalar.bitPattern, "exponentiate at \(x)")
        }
        var withNaN = [0.0, 1, .nan, 2, 3, 4, 5, 6, 7, 8]
        let result = withNaN.withUnsafeMutableBufferPointer { p in
            FastExponential.logSumExp(p.baseAddress!, count: p.count, keepingIn: nil)
        }
        XCTAssertTrue(result.logSumExp.isNaN)
    }
}
