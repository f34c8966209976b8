import LinearAlgebra
import XCTest

final class RowBlocksTests: XCTestCase {
    func testParallelRowsEqualTheSerialLoopBitForBit() {
        var generator = SeededGenerator(seed: 11)
        // Large enough to be split into several blocks (over `serialElements` entries).
        let logits = GaussianSampling.matrix(rows: 700, columns: 300, scale: 5, using: &generator)
        let parallel = StableMath.rowLogSumExp(logits)
        let serial = (0..<logits.rows).map { StableMath.logSumExp(logits.row($0)) }
        XCTAssertEqual(parallel, serial)
        var visits = [Int](repeating: 0, count: 1000)
        visits.withUnsafeMutableBufferPointer { counts in
            let base = counts.baseAddress!
            RowBlocks.forEachRow(rows: 1000, columns: 500) { base[$0] += 1 }
        }
        XCTAssertEqual(visits, [Int](repeating: 1, count: 1000), "every row exactly once")
    }
}
