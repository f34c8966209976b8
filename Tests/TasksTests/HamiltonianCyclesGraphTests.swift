import LinearAlgebra
import Tasks
import TestSupport
import XCTest

final class HamiltonianCyclesGraphTests: XCTestCase {
    struct Shape: CustomStringConvertible {
        let vertexCount: Int
        let edgeProbability: Double
        var description: String { "N = \(vertexCount), p = \(edgeProbability)" }
    }

    static let shapes = [
        Shape(vertexCount: 3, edgeProbability: 0.5), Shape(vertexCount: 6, edgeProbability: 0.2),
        Shape(vertexCount: 7, edgeProbability: 0), Shape(vertexCount: 10, edgeProbability: 0.2),
        Shape(vertexCount: 12, edgeProbability: 0.9),
    ]

    func testThePlantedCycleIsAPermutationAndAlwaysVerifies() {
        propertySweep(seeds: 0..<20, shapes: Self.shapes) { sweep, shape in
            let planted = PlantedHamiltonianGraph.random(
                vertexCount: shape.vertexCount, edgeProbability: shape.edgeProbability, using: &sweep.generator)
            XCTAssertEqual(planted.plantedCycle.sorted(), Array(0..<shape.vertexCount))
            XCTAssertTrue(isHamiltonianCycle(planted.plantedCycle, in: planted.graph))
            XCTAssertGreaterThanOrEqual(planted.graph.edgeCount, shape.vertexCount)
        }
    }

    func testAdjacencyIsSymmetricWithoutSelfLoopsAndEdgesAreListedOnceSorted() {
        propertySweep(seeds: 0..<10, shapes: Self.shapes) { sweep, shape in
            let graph = PlantedHamiltonianGraph.random(
                vertexCount: shape.vertexCount, edgeProbability: shape.edgeProbability, using: &sweep.generator).graph
            for a in 0..<graph.vertexCount {
                XCTAssertFalse(graph.hasEdge(a, a))
                for b in 0..<graph.vertexCount { XCTAssertEqual(graph.hasEdge(a, b), graph.hasEdge(b, a)) }
            }
            let edges = graph.edges
            XCTAssertEqual(edges, edges.sorted())
            XCTAssertEqual(Set(edges).count, edges.count)
            XCTAssertEqual(edges.count, graph.edgeCount)
            XCTAssertTrue(edges.allSatisfy { $0.u < $0.v && graph.hasEdge($0.u, $0.v) })
            XCTAssertEqual(UndirectedGraph(vertexCount: graph.vertexCount, edges: edges), graph)
        }
    }

    func testEdgeProbabilityZeroGivesTheBareCycleAndOneTheCompleteGraph() {
        var generator = SeededGenerator(seed: 1)
        let bare = PlantedHamiltonianGraph.random(vertexCount: 9, edgeProbability: 0, using: &generator)
        XCTAssertEqual(bare.graph.edgeCount, 9)
        XCTAssertEqual(bare.graph.countHamiltonianCycles().undirectedCycles, 1)
        let full = PlantedHamiltonianGraph.random(vertexCount: 9, edgeProbability: 1, using: &generator)
        XCTAssertEqual(full.graph, UndirectedGraph.complete(vertexCount: 9))
    }

    func testExtraEdgesAppearAtTheRequestedRate() {
        // 400 graphs with N = 10, p = 0.2: 35 candidate pairs each, 14000 Bernoulli(0.2) draws; the mean
        // extra-edge count per graph is 7 with standard error sqrt(14000 * 0.16) / 400 = 0.12. Allow 4
        // standard errors, so a wrong rate (p = 0.25 gives 8.75) fails.
        var generator = SeededGenerator(seed: 2024)
        var extra = 0
        for _ in 0..<400 {
            extra += PlantedHamiltonianGraph.random(vertexCount: 10, edgeProbability: 0.2, using: &generator)
                .graph.edgeCount - 10
        }
        XCTAssertEqual(Double(extra) / 400, 7, accuracy: 0.48)
    }

    func testGenerationIsDeterministicGivenTheSeed() {
        var first = SeededGenerator(seed: 77)
        var second = SeededGenerator(seed: 77)
        let a = (0..<5).map { _ in PlantedHamiltonianGraph.random(vertexCount: 8, edgeProbability: 0.3, using: &first) }
        let b = (0..<5).map { _ in PlantedHamiltonianGraph.random(vertexCount: 8, edgeProbability: 0.3, using: &second) }
        XCTAssertEqual(a, b)
        var third = SeededGenerator(seed: 78)
        XCTAssertNotEqual(a[0], PlantedHamiltonianGraph.random(vertexCount: 8, edgeProbability: 0.3, using: &third))
        XCTAssertEqual(Set(a.map(\.plantedCycle)).count, 5, "five draws give five different planted cycles")
    }
}
