import LinearAlgebra
import Tasks
import TestSupport
import XCTest

final class HamiltonianCyclesEnumerationTests: XCTestCase {
    /// The listed permutations are exactly the brute-force set of Hamiltonian cycles, each once.
    func testListsExactlyTheBruteForceCycles() {
        let shapes = [(n: 4, p: 0.3), (n: 5, p: 0.2), (n: 6, p: 0.5), (n: 7, p: 0.2)]
        propertySweep(seeds: 0..<6, shapes: shapes.map { "N = \($0.n), p = \($0.p)" }) { sweep, shape in
            let setting = shapes.first { "N = \($0.n), p = \($0.p)" == shape }!
            let graph = PlantedHamiltonianGraph.random(vertexCount: setting.n, edgeProbability: setting.p,
                                                       using: &sweep.generator).graph
            let edges = Set(graph.edges)
            let expected = Set(allPermutations(of: setting.n).filter {
                bruteForceIsHamiltonianCycle($0, edges: edges, vertexCount: setting.n)
            })
            guard let listed = graph.hamiltonianCyclePermutations() else {
                XCTFail("no list for a small graph")
                return
            }
            XCTAssertEqual(listed.count, Set(listed).count, "no permutation twice")
            XCTAssertEqual(Set(listed), expected)
            XCTAssertEqual(UInt64(listed.count), graph.countHamiltonianCycles().validPermutations)
        }
    }

    func testLimitAndDegenerateGraphs() {
        XCTAssertNil(UndirectedGraph.complete(vertexCount: 7).hamiltonianCyclePermutations(limit: 5039), "7! = 5040 > limit")
        XCTAssertEqual(UndirectedGraph.complete(vertexCount: 5).hamiltonianCyclePermutations()?.count, 120)
        XCTAssertEqual(petersenGraph.hamiltonianCyclePermutations(), [])
        XCTAssertEqual(UndirectedGraph.complete(vertexCount: 2).hamiltonianCyclePermutations(), [])
    }
}
