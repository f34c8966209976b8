import LinearAlgebra
import Tasks
import TestSupport
import XCTest

final class HamiltonianCyclesRejectedSamplerTests: XCTestCase {
    func testRejectedSamplesArePermutationsThatNeverVerify() {
        propertySweep(seeds: 0..<10, shapes: [4, 7, 10]) { sweep, vertexCount in
            let planted = PlantedHamiltonianGraph.random(vertexCount: vertexCount, edgeProbability: 0.6,
                                                         using: &sweep.generator)
            for _ in 0..<20 {
                guard let rejected = planted.graph.randomNonHamiltonianPermutation(using: &sweep.generator) else {
                    XCTAssertTrue(planted.graph.isComplete, "nil only for a complete graph")
                    continue
                }
                XCTAssertEqual(rejected.sorted(), Array(0..<vertexCount))
                XCTAssertFalse(isHamiltonianCycle(rejected, in: planted.graph), "\(rejected)")
            }
        }
    }

    func testCompleteGraphsHaveNoRejectedResponse() {
        var generator = SeededGenerator(seed: 0)
        XCTAssertNil(UndirectedGraph.complete(vertexCount: 5).randomNonHamiltonianPermutation(using: &generator))
        // Below three vertices nothing is a cycle, so any permutation is a rejected response.
        XCTAssertEqual(UndirectedGraph.complete(vertexCount: 2).randomNonHamiltonianPermutation(using: &generator)?
            .sorted(), [0, 1])
    }

    func testRejectedSamplesAreUniformOverTheNonCycles() {
        // The 4-cycle 0-1-2-3: 8 of the 24 permutations are cycles, 16 are not. 3200 draws put 200 on
        // each non-cycle in expectation, standard deviation sqrt(3200 * (1/16) * (15/16)) = 13.7; a
        // window of +-4 standard deviations (145 ... 255) still fails a sampler that, say, never drew a
        // permutation starting with vertex 3.
        let ring = UndirectedGraph(vertexCount: 4, edges: (0..<4).map { GraphEdge($0, ($0 + 1) % 4) })
        var generator = SeededGenerator(seed: 31)
        var counts: [[Int]: Int] = [:]
        for _ in 0..<3200 { counts[ring.randomNonHamiltonianPermutation(using: &generator)!, default: 0] += 1 }
        XCTAssertEqual(counts.count, 16)
        for (permutation, count) in counts {
            XCTAssertTrue((145...255).contains(count), "\(permutation) drawn \(count) times")
        }
    }
}
