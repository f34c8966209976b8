import LinearAlgebra
import Tasks
import TestSupport
import XCTest

final class HamiltonianCyclesVerifierTests: XCTestCase {
    func testVerifierAgreesWithBruteForceOnEveryPermutation() {
        propertySweep(seeds: 0..<6, shapes: [(4, 0.5), (5, 0.3), (6, 0.4)].map { "\($0.0),\($0.1)" }) { sweep, shape in
            let parts = shape.split(separator: ",")
            let vertexCount = Int(parts[0])!
            let planted = PlantedHamiltonianGraph.random(
                vertexCount: vertexCount, edgeProbability: Double(parts[1])!, using: &sweep.generator)
            let edges = Set(planted.graph.edges)
            var accepted = 0
            for permutation in allPermutations(of: vertexCount) {
                let expected = bruteForceIsHamiltonianCycle(permutation, edges: edges, vertexCount: vertexCount)
                XCTAssertEqual(isHamiltonianCycle(permutation, in: planted.graph), expected, "\(permutation)")
                if expected { accepted += 1 }
            }
            XCTAssertGreaterThanOrEqual(accepted, 2 * vertexCount, "the planted cycle from every start, both ways")
        }
    }

    func testVerifierRejectsWhatIsNotAPermutationOfAllVertices() {
        let complete = UndirectedGraph.complete(vertexCount: 5)
        XCTAssertTrue(isHamiltonianCycle([0, 1, 2, 3, 4], in: complete))
        XCTAssertFalse(isHamiltonianCycle([0, 1, 2, 3], in: complete), "too short")
        XCTAssertFalse(isHamiltonianCycle([0, 1, 2, 3, 4, 0], in: complete), "first vertex repeated at the end")
        XCTAssertFalse(isHamiltonianCycle([0, 1, 2, 3, 3], in: complete), "a repeat")
        XCTAssertFalse(isHamiltonianCycle([0, 1, 2, 3, 5], in: complete), "vertex outside the graph")
        XCTAssertFalse(isHamiltonianCycle([0, 1, 2, 3, -1], in: complete), "negative vertex")
        XCTAssertFalse(isHamiltonianCycle([], in: UndirectedGraph(vertexCount: 0, edges: [])))
        XCTAssertFalse(isHamiltonianCycle([0, 1], in: UndirectedGraph.complete(vertexCount: 2)), "no 2-cycles")
    }

    func testTheClosingEdgeIsChecked() {
        // The path 0-1-2-3 without the edge 3-0 is not a cycle.
        let path = UndirectedGraph(vertexCount: 4, edges: [GraphEdge(0, 1), GraphEdge(1, 2), GraphEdge(2, 3)])
        XCTAssertFalse(isHamiltonianCycle([0, 1, 2, 3], in: path))
        let cycle = UndirectedGraph(vertexCount: 4, edges: path.edges + [GraphEdge(3, 0)])
        XCTAssertTrue(isHamiltonianCycle([0, 1, 2, 3], in: cycle))
    }

    func testVerifierIsInvariantUnderRotationAndReversal() {
        propertySweep(seeds: 0..<10) { sweep in
            let planted = PlantedHamiltonianGraph.random(vertexCount: 9, edgeProbability: 0.2, using: &sweep.generator)
            let cycle = planted.plantedCycle
            for shift in 0..<cycle.count {
                let rotated = Array(cycle[shift...] + cycle[..<shift])
                XCTAssertTrue(isHamiltonianCycle(rotated, in: planted.graph))
                XCTAssertTrue(isHamiltonianCycle(rotated.reversed(), in: planted.graph))
            }
        }
    }
}
