import Foundation
import LinearAlgebra
@testable import MaxMargin
import TestSupport
import XCTest

final class HardMarginSVMTests: XCTestCase {
    /// The solver's own KKT tolerance, used again here by an independent check that does not read the
    /// solver's report: a correct optimum passes it by four orders, a wrong one fails it by six.
    private let kktTolerance = MaxMarginOptions.standard.kktTolerance

    /// The separable outcome, or nil after recording a failure (a thrown error or a certificate), so that
    /// inside a sweep the failing seed is still reported.
    private func separator(_ z: Matrix, method: MaxMarginMethod = .minimumNormPoint,
                           file: StaticString = #filePath, line: UInt = #line) -> MaxMarginSolution?
    {
        do {
            let outcome = try HardMarginSVM.solve(z, method: method)
            if outcome.solution == nil {
                XCTFail("\(method): expected separable data, got \(outcome.certificate!)", file: file, line: line)
            }
            return outcome.solution
        } catch {
            XCTFail("\(method) threw \(error)", file: file, line: line)
            return nil
        }
    }

    /// The non-separable outcome, or nil after recording a failure.
    private func certificate(_ z: Matrix, method: MaxMarginMethod,
                             file: StaticString = #filePath, line: UInt = #line) -> NonSeparabilityCertificate?
    {
        do {
            let outcome = try HardMarginSVM.solve(z, method: method)
            if outcome.certificate == nil {
                XCTFail("\(method): expected non-separable data, got u = \(outcome.solution!.separator)",
                        file: file, line: line)
            }
            return outcome.certificate
        } catch {
            XCTFail("\(method) threw \(error)", file: file, line: line)
            return nil
        }
    }

    /// The KKT conditions, recomputed from scratch (not from `solution.kkt`), each relative to its scale.
    private func assertOptimal(_ solution: MaxMarginSolution, rows z: Matrix,
                               file: StaticString = #filePath, line: UInt = #line)
    {
        let u = solution.separator
        let a = solution.dualWeights
        let values = BLAS.product(z, u)
        let dataScale = (0..<z.rows).map { BLAS.norm(z.row($0)) }.max()!
        let valueScale = dataScale * BLAS.norm(u)
        let largestWeight = a.max()!
        XCTAssertGreaterThanOrEqual(values.min()! - 1, -kktTolerance * valueScale, "primal feasibility",
                                    file: file, line: line)
        XCTAssertGreaterThanOrEqual(a.min()!, 0, "dual feasibility", file: file, line: line)
        for i in 0..<z.rows {
            XCTAssertLessThanOrEqual(abs(a[i] * (values[i] - 1)), kktTolerance * valueScale * largestWeight,
                                     "complementary slackness at row \(i)", file: file, line: line)
        }
        var combination = [Double](repeating: 0, count: z.columns)
        for i in 0..<z.rows { BLAS.axpy(a[i], z.row(i), &combination) }
        BLAS.axpy(-1, u, &combination)
        XCTAssertLessThanOrEqual(BLAS.norm(combination), kktTolerance * dataScale * a.reduce(0, +), "stationarity",
                                 file: file, line: line)
        // sum a = |u|^2 follows from stationarity and slackness.
        XCTAssertEqual(a.reduce(0, +), BLAS.dot(u, u), accuracy: 1e-8 * BLAS.dot(u, u), file: file, line: line)
        XCTAssertEqual(solution.margin, 1 / BLAS.norm(u), file: file, line: line)
        for i in solution.supportIndices {
            XCTAssertEqual(values[i], 1, accuracy: kktTolerance * valueScale, "support row \(i) is not active",
                           file: file, line: line)
        }
        XCTAssertTrue(solution.kkt.isSatisfied(tolerance: kktTolerance), "\(solution.kkt)", file: file, line: line)
    }

    /// lambda >= 0, sum lambda = 1, |Z^T lambda| within the stated bound, recomputed here.
    private func assertCertifies(_ certificate: NonSeparabilityCertificate, rows z: Matrix,
                                 file: StaticString = #filePath, line: UInt = #line)
    {
        let lambda = certificate.hullWeights
        XCTAssertGreaterThanOrEqual(lambda.min()!, 0, file: file, line: line)
        XCTAssertEqual(lambda.reduce(0, +), 1, accuracy: 1e-12, file: file, line: line)
        var point = [Double](repeating: 0, count: z.columns)
        for i in 0..<z.rows { BLAS.axpy(lambda[i], z.row(i), &point) }
        let dataScale = (0..<z.rows).map { BLAS.norm(z.row($0)) }.max()!
        XCTAssertLessThanOrEqual(BLAS.norm(point), 2 * MaxMarginOptions.standard.separabilityTolerance * dataScale,
                                 file: file, line: line)
        XCTAssertEqual(certificate.residual, BLAS.norm(point), accuracy: 1e-15 * max(1, dataScale), file: file, line: line)
    }

    // MARK: Hand-solvable cases

    func testOrthonormalRowsGiveTheirSum() {
        for method in MaxMarginMethod.allCases {
            let z = Matrix(rowVectors: [[1, 0], [0, 1]])
            guard let solution = separator(z, method: method) else { return }
            // Exact answer u* = (1, 1), a = (1, 1); 1e-14 allows a few roundings of unit-size numbers.
            assertClose(solution.separator, [1, 1], tolerance: 1e-14)
            assertClose(solution.dualWeights, [1, 1], tolerance: 1e-14)
            XCTAssertEqual(solution.margin, 1 / 2.0.squareRoot(), accuracy: 1e-15)
            XCTAssertEqual(solution.supportIndices, [0, 1])
            assertOptimal(solution, rows: z)

            // e_1, e_2, e_3 in R^5: u* = e_1 + e_2 + e_3.
            var wide = Matrix(rows: 3, columns: 5)
            for k in 0..<3 { wide[k, k] = 1 }
            assertClose(separator(wide, method: method)?.separator ?? [], [1, 1, 1, 0, 0], tolerance: 1e-14)
        }
    }

    func testSingleRowGivesItsScaledCopy() {
        for method in MaxMarginMethod.allCases {
            let z = Matrix(rowVectors: [[3, -4, 12]])  // |z| = 13
            guard let solution = separator(z, method: method) else { return }
            assertClose(solution.separator, [3 / 169.0, -4 / 169.0, 12 / 169.0], tolerance: 1e-15)
            assertClose(solution.dualWeights, [1 / 169.0], tolerance: 1e-15)
            XCTAssertEqual(solution.margin, 13, accuracy: 1e-13)
        }
    }

    func testRowBeyondTheMarginGetsZeroWeight() {
        for method in MaxMarginMethod.allCases {
            // u* = (1, 0): <u*, (2, 1)> = 2 > 1, so the second row is not a support vector.
            let z = Matrix(rowVectors: [[1, 0], [2, 1]])
            guard let solution = separator(z, method: method) else { return }
            assertClose(solution.separator, [1, 0], tolerance: 1e-14)
            XCTAssertEqual(solution.dualWeights[1], 0)
            XCTAssertEqual(solution.supportIndices, [0])
            assertOptimal(solution, rows: z)
        }
    }

    // MARK: Random separable sets

    func testRandomSeparableSetsPassAnIndependentKKTCheck() {
        let shapes = [(2, 2), (20, 5), (80, 10), (300, 20), (10, 40), (60, 60), (400, 3)]
        propertySweep(seeds: 0..<6, shapes: shapes) { sweep, shape in
            let data = SeparableData.draw(rows: shape.0, columns: shape.1, using: &sweep.generator)
            guard let solution = separator(data.rows) else { return }
            assertOptimal(solution, rows: data.rows)
            // It is the max margin: no worse than the separator the data were built from.
            XCTAssertGreaterThanOrEqual(solution.margin, geometricMargin(of: data.direction, rows: data.rows) * (1 - 1e-12))
            XCTAssertEqual(geometricMargin(of: solution.separator, rows: data.rows), solution.margin,
                           accuracy: kktTolerance * solution.margin)
        }
    }

    func testMarginIsTheDistanceFromTheOriginToTheHull() {
        propertySweep(seeds: 0..<6, shapes: [(30, 6), (8, 20)]) { sweep, shape in
            let data = SeparableData.draw(rows: shape.0, columns: shape.1, using: &sweep.generator)
            guard let solution = separator(data.rows) else { return }
            // w = Z^T lambda with lambda = a / sum a is in the hull and has norm 1 / |u*| = margin.
            let total = solution.dualWeights.reduce(0, +)
            let w = BLAS.product(data.rows, transposeA: true, solution.dualWeights.map { $0 / total })
            XCTAssertEqual(BLAS.norm(w), solution.margin, accuracy: 1e-10 * solution.margin)
            // No random direction separates with a larger margin (a cheap, solver-free optimality probe).
            for _ in 0..<50 {
                var v = GaussianSampling.vector(count: shape.1, using: &sweep.generator)
                BLAS.axpy(1, solution.direction, &v)
                XCTAssertLessThanOrEqual(geometricMargin(of: v, rows: data.rows), solution.margin * (1 + 1e-12))
            }
        }
    }

    func testBothMethodsAgree() {
        let shapes = [(3, 2), (30, 8), (120, 10), (15, 40), (150, 30), (200, 4)]
        propertySweep(seeds: 0..<5, shapes: shapes) { sweep, shape in
            let data = SeparableData.draw(rows: shape.0, columns: shape.1, using: &sweep.generator)
            guard let primary = separator(data.rows, method: .minimumNormPoint) else { return }
            guard let check = separator(data.rows, method: .goldfarbIdnani) else { return }
            assertOptimal(check, rows: data.rows)
            // u* is unique (|u|^2 is strictly convex), so two correct solvers agree up to their rounding,
            // about eps times the condition number of the support Gram matrix; 1e-8 allows that up to 1e7.
            var difference = primary.separator
            BLAS.axpy(-1, check.separator, &difference)
            XCTAssertLessThanOrEqual(BLAS.norm(difference), 1e-8 * BLAS.norm(check.separator))
            // Random data are in general position: the support is unique too.
            XCTAssertEqual(primary.supportIndices, check.supportIndices)
        }
    }

    func testAnisotropicColumnsAreSolvedAccurately() {
        // Columns scaled from 1e-2 to 1e2: relative margins (margin / max |z_i|) fall to 2e-5. The primary
        // still meets the KKT check by four orders (measured worst relative violation 8e-13).
        propertySweep(seeds: 0..<6, shapes: [(100, 8)]) { sweep, shape in
            var z = SeparableData.draw(rows: shape.0, columns: shape.1, using: &sweep.generator).rows
            for i in 0..<shape.0 {
                for j in 0..<shape.1 { z[i, j] *= pow(10, 4 * (Double(j) / Double(shape.1 - 1) - 0.5)) }
            }
            guard let primary = separator(z, method: .minimumNormPoint),
                  let check = separator(z, method: .goldfarbIdnani) else { return }
            assertOptimal(primary, rows: z)
            assertOptimal(check, rows: z)
            // The cross-check solves with K_AA = Z_A Z_A^T, so its error is about eps cond(Z_A)^2, and
            // cond(Z_A) reaches 1e4 here: 1e-7 (measured worst disagreement 2.3e-9).
            var difference = primary.separator
            BLAS.axpy(-1, check.separator, &difference)
            XCTAssertLessThanOrEqual(BLAS.norm(difference), 1e-7 * BLAS.norm(check.separator))
        }
    }

    // MARK: Non-separable data

    func testOppositeRowsAreNonSeparable() {
        for method in MaxMarginMethod.allCases {
            propertySweep(seeds: 0..<4, shapes: [(1, 3), (5, 4), (40, 10)]) { sweep, shape in
                // Separable rows plus the negation of one of them: 0 = (z + (-z)) / 2.
                let data = SeparableData.draw(rows: shape.0, columns: shape.1, using: &sweep.generator)
                var rows = (0..<shape.0).map { data.rows.row($0) }
                rows.append(rows[shape.0 / 2].map { -$0 })
                let z = Matrix(rowVectors: rows)
                if let found = certificate(z, method: method) { assertCertifies(found, rows: z) }
            }
        }
    }

    func testRowsSurroundingTheOriginAreNonSeparable() {
        for method in MaxMarginMethod.allCases {
            // Seven points on a circle, no two opposite: the origin is strictly inside their hull.
            let circle = Matrix(rowVectors: (0..<7).map { k in
                let angle = 2 * Double.pi * Double(k) / 7
                return [cos(angle), sin(angle)]
            })
            if let found = certificate(circle, method: method) { assertCertifies(found, rows: circle) }

            propertySweep(seeds: 0..<4, shapes: [(30, 6), (25, 12)]) { sweep, shape in
                // A separable set plus -3 times its mean: 0 = (3 mean + (-3 mean)) / 4 is in the hull.
                let data = SeparableData.draw(rows: shape.0, columns: shape.1, using: &sweep.generator)
                var rows = (0..<shape.0).map { data.rows.row($0) }
                let mean = BLAS.product(data.rows, transposeA: true, [Double](repeating: 1 / Double(shape.0), count: shape.0))
                rows.insert(mean.map { -3 * $0 }, at: shape.0 / 3)
                let z = Matrix(rowVectors: rows)
                if let found = certificate(z, method: method) { assertCertifies(found, rows: z) }
            }
        }
    }

    func testZeroRowAndZeroWidthAreNonSeparable() {
        for method in MaxMarginMethod.allCases {
            let withZero = Matrix(rowVectors: [[1, 2], [0, 0], [3, 1]])
            guard let found = certificate(withZero, method: method) else { return }
            XCTAssertEqual(found.supportIndices, [1])
            XCTAssertEqual(found.residual, 0)
            let noColumns = Matrix(rows: 3, columns: 0)
            XCTAssertEqual(certificate(noColumns, method: method)?.residual, 0)
        }
    }

    func testSeparabilityThresholdSitsAtTheStatedTolerance() {
        for method in MaxMarginMethod.allCases {
            // z = (1, eps) and (-1, eps): u* = (0, 1 / eps), margin eps / sqrt(1 + eps^2) ~ eps.
            guard let wide = separator(Matrix(rowVectors: [[1, 1e-6], [-1, 1e-6]]), method: method) else { return }
            assertClose(wide.separator, [0, 1e6], tolerance: 1e-9 * 1e6)
            guard let narrow = certificate(Matrix(rowVectors: [[1, 1e-12], [-1, 1e-12]]), method: method) else { return }
            XCTAssertEqual(narrow.residual, 1e-12, accuracy: 1e-15)
            assertClose(narrow.hullWeights, [0.5, 0.5], tolerance: 1e-12)
        }
    }

    // MARK: Degenerate inputs

    func testDuplicateRowsLeaveTheSeparatorUnchanged() {
        propertySweep(seeds: 0..<4, shapes: [(12, 5), (40, 3)]) { sweep, shape in
            let data = SeparableData.draw(rows: shape.0, columns: shape.1, using: &sweep.generator)
            guard let original = separator(data.rows) else { return }
            // Every row twice, interleaved.
            let doubled = data.rows.selectingRows((0..<shape.0).flatMap { [$0, $0] })
            for method in MaxMarginMethod.allCases {
                guard let solution = separator(doubled, method: method) else { return }
                assertOptimal(solution, rows: doubled)
                assertClose(solution.separator, original.separator, tolerance: 1e-9 * BLAS.norm(original.separator))
                // Each pair's weights add up to the original weight (how they split is not determined).
                for i in 0..<shape.0 {
                    XCTAssertEqual(solution.dualWeights[2 * i] + solution.dualWeights[2 * i + 1],
                                   original.dualWeights[i], accuracy: 1e-8 * original.dualWeights.max()!)
                }
            }
        }
        // All rows equal: u* = z / |z|^2.
        let same = Matrix(rowVectors: [[0, 2], [0, 2], [0, 2]])
        assertClose(separator(same)?.separator ?? [], [0, 0.5], tolerance: 1e-15)
    }

    func testMoreActiveRowsThanDimensions() {
        for method in MaxMarginMethod.allCases {
            // (1, +-1, +-1): all four rows are active at u* = (1, 0, 0), one more than the dimension, so the
            // dual weights are not unique; u* still is.
            let cube = Matrix(rowVectors: [[1, 1, 1], [1, 1, -1], [1, -1, 1], [1, -1, -1]])
            guard let solution = separator(cube, method: method) else { return }
            assertClose(solution.separator, [1, 0, 0], tolerance: 1e-14)
            assertOptimal(solution, rows: cube)
        }
        // Small-integer rows: many exact ties among the constraint values.
        propertySweep(seeds: 0..<6, shapes: [(40, 3), (60, 5)]) { sweep, shape in
            var z = Matrix(rows: shape.0, columns: shape.1)
            for i in 0..<shape.0 {
                z[i, 0] = Double(Int.random(in: 1...2, using: &sweep.generator))
                for j in 1..<shape.1 { z[i, j] = Double(Int.random(in: -2...2, using: &sweep.generator)) }
            }
            guard let primary = separator(z, method: .minimumNormPoint),
                  let check = separator(z, method: .goldfarbIdnani) else { return }
            assertOptimal(primary, rows: z)
            assertOptimal(check, rows: z)
            assertClose(primary.separator, check.separator, tolerance: 1e-8 * BLAS.norm(check.separator))
        }
    }

    func testManyMoreRowsThanColumnsAndFewer() {
        for method in MaxMarginMethod.allCases {
            propertySweep(seeds: 0..<3, shapes: [(600, 2), (300, 5), (4, 80), (1, 30)]) { sweep, shape in
                let data = SeparableData.draw(rows: shape.0, columns: shape.1, gap: 0.01, using: &sweep.generator)
                guard let solution = separator(data.rows, method: method) else { return }
                assertOptimal(solution, rows: data.rows)
                // At most d linearly independent support vectors in general position.
                XCTAssertLessThanOrEqual(solution.supportIndices.count, min(shape.0, shape.1))
            }
        }
    }

    func testScalingAndPermutingTheRows() {
        propertySweep(seeds: 0..<4, shapes: [(25, 7)]) { sweep, shape in
            let data = SeparableData.draw(rows: shape.0, columns: shape.1, using: &sweep.generator)
            guard let base = separator(data.rows) else { return }
            for scale in [1e-3, 7.0, 1e4] {
                guard let scaled = separator(scale * data.rows) else { return }
                assertClose(scaled.separator.map { $0 * scale }, base.separator, tolerance: 1e-10 * BLAS.norm(base.separator))
                XCTAssertEqual(scaled.margin / scale, base.margin, accuracy: 1e-10 * base.margin)
            }
            var order = Array(0..<shape.0)
            order.shuffle(using: &sweep.generator)
            guard let permuted = separator(data.rows.selectingRows(order)) else { return }
            assertClose(permuted.separator, base.separator, tolerance: 1e-10 * BLAS.norm(base.separator))
            assertClose(order.map { base.dualWeights[$0] }, permuted.dualWeights, tolerance: 1e-10 * base.dualWeights.max()!)
        }
    }

    func testInvalidInputIsAThrownErrorThatSaysWhy() {
        XCTAssertThrowsError(try HardMarginSVM.solve(Matrix(rows: 0, columns: 3))) { error in
            guard case MaxMarginError.invalidInput = error else { return XCTFail("got \(error)") }
        }
        XCTAssertThrowsError(try HardMarginSVM.solve(Matrix(rowVectors: [[1, .nan]]))) { error in
            XCTAssertTrue("\(error)".contains("Z(0, 1)"), "\(error)")
        }
    }

    func testIterationCapIsAThrownError() {
        var generator = SeededGenerator(seed: 1)
        let data = SeparableData.draw(rows: 50, columns: 10, using: &generator)
        for method in MaxMarginMethod.allCases {
            XCTAssertThrowsError(try HardMarginSVM.solve(data.rows, method: method,
                                                         options: MaxMarginOptions(maximumIterations: 2))) { error in
                guard case MaxMarginError.didNotConverge = error else { return XCTFail("got \(error)") }
            }
        }
    }

    // MARK: Scale

    func testPrimaryHandlesAThousandRowsInDimension256() {
        var generator = SeededGenerator(seed: 7)
        let data = SeparableData.draw(rows: 1000, columns: 256, using: &generator)
        guard let solution = separator(data.rows) else { return }
        assertOptimal(solution, rows: data.rows)
    }
}

/// The certifier's refusals, fed wrong answers directly.
final class CertificationTests: XCTestCase {
    private let z = Matrix(rowVectors: [[1, 0], [0, 1], [2, 3]])

    func testAWrongSeparatorIsAThrownErrorWithItsReport() {
        let problem = MaxMarginProblem(rows: z)
        // u = (0.9, 0.9) violates the first two constraints by 10%.
        let wrong = SolverResult.separable(
            candidates: [MaxMarginCandidate(separator: [0.9, 0.9], dualWeights: [0.9, 0.9, 0])], iterations: 1)
        XCTAssertThrowsError(try HardMarginSVM.certify(wrong, problem: problem, method: .minimumNormPoint,
                                                       options: .standard)) { error in
            guard case let MaxMarginError.certificationFailed(_, report, tolerance) = error else {
                return XCTFail("got \(error)")
            }
            XCTAssertEqual(tolerance, MaxMarginOptions.standard.kktTolerance)
            XCTAssertEqual(report.primalFeasibility, -0.1, accuracy: 1e-15)
        }
        // Of two candidates the certifier keeps the one that passes.
        let mixed = SolverResult.separable(
            candidates: [MaxMarginCandidate(separator: [0.9, 0.9], dualWeights: [0.9, 0.9, 0]),
                         MaxMarginCandidate(separator: [1, 1], dualWeights: [1, 1, 0])], iterations: 1)
        let outcome = try? HardMarginSVM.certify(mixed, problem: problem, method: .minimumNormPoint, options: .standard)
        XCTAssertEqual(outcome?.solution?.separator, [1, 1])
    }

    func testAFalseNonSeparabilityClaimIsAThrownError() {
        let problem = MaxMarginProblem(rows: z)
        // Weights (1/2, 1/2, 0) give the hull point (1/2, 1/2), far from the origin.
        let wrong = SolverResult.nearOrigin(hullWeights: [1, 1, 0], iterations: 1)
        XCTAssertThrowsError(try HardMarginSVM.certify(wrong, problem: problem, method: .goldfarbIdnani,
                                                       options: .standard)) { error in
            guard case let MaxMarginError.nonSeparabilityUnconfirmed(_, residual, _) = error else {
                return XCTFail("got \(error)")
            }
            XCTAssertEqual(residual, 0.5.squareRoot(), accuracy: 1e-15)
        }
    }
}

final class HardMarginSVMOverflowTests: XCTestCase {
    func testRowsWhoseSquaredNormOverflowsAreRefusedNotCalledNonSeparable() throws {
        // Separable (one row), but |z|^2 = 1e310 is not a double: before, the solver answered
        // "not separable" with a hull point of norm 2.6e155 "relative to max |z_i|: 0.0".
        let z = Matrix(rowVectors: [[1e155, 0], [0, 1]])
        XCTAssertThrowsError(try HardMarginSVM.solve(z)) { error in
            let divergence = error as! DivergenceError
            XCTAssertEqual(divergence.quantity, .representationNorm)
            XCTAssertEqual(divergence.cause, .hiddenStatesTooLarge(.infinity))
            XCTAssertTrue(divergence.description.contains("rescale them"), divergence.description)
        }
        // 1e150 still squares to a double: solved, and scaling holds (u* = z / |z|^2 for one row).
        let solution = try XCTUnwrap(try HardMarginSVM.solve(Matrix(rowVectors: [[1e150, 0]])).solution)
        XCTAssertEqual(solution.separator[0], 1e-150, accuracy: 1e-162)
    }
}
