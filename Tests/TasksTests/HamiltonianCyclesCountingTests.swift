import Foundation
import LinearAlgebra
import Tasks
import TestSupport
import XCTest

final class HamiltonianCyclesCountingTests: XCTestCase {
    /// The subset DP against enumerating all N! permutations, on seeded random graphs with N <= 7 (with
    /// and without a planted cycle, sparse and dense), in all three counting conventions.
    func testCountMatchesBruteForceEnumeration() {
        struct Shape: CustomStringConvertible {
            let vertexCount: Int
            let edgeProbability: Double
            let planted: Bool
            var description: String { "N = \(vertexCount), p = \(edgeProbability), planted = \(planted)" }
        }
        var shapes: [Shape] = []
        for n in 3...7 {
            for p in [0.3, 0.7] {
                shapes.append(Shape(vertexCount: n, edgeProbability: p, planted: true))
                shapes.append(Shape(vertexCount: n, edgeProbability: p, planted: false))
            }
        }
        let permutationsByCount = Dictionary(uniqueKeysWithValues: (3...7).map { ($0, allPermutations(of: $0)) })
        propertySweep(seeds: 0..<4, shapes: shapes) { sweep, shape in
            let graph: UndirectedGraph
            if shape.planted {
                graph = PlantedHamiltonianGraph.random(vertexCount: shape.vertexCount,
                                                       edgeProbability: shape.edgeProbability,
                                                       using: &sweep.generator).graph
            } else {
                // An Erdos-Renyi graph, which often has no Hamiltonian cycle at all.
                var edges: [GraphEdge] = []
                for a in 0..<shape.vertexCount {
                    for b in (a + 1)..<shape.vertexCount
                    where Double.random(in: 0..<1, using: &sweep.generator) < shape.edgeProbability {
                        edges.append(GraphEdge(a, b))
                    }
                }
                graph = UndirectedGraph(vertexCount: shape.vertexCount, edges: edges)
            }
            let edgeSet = Set(graph.edges)
            let valid = permutationsByCount[shape.vertexCount]!.filter {
                bruteForceIsHamiltonianCycle($0, edges: edgeSet, vertexCount: shape.vertexCount)
            }
            let count = graph.countHamiltonianCycles()
            XCTAssertEqual(count.validPermutations, UInt64(valid.count))
            XCTAssertEqual(count.sequencesFromVertexZero, UInt64(valid.filter { $0[0] == 0 }.count))
            XCTAssertEqual(count.undirectedCycles, UInt64(Set(valid.map(canonicalCycle)).count))
            let factorial = (1...shape.vertexCount).reduce(1, *)
            XCTAssertEqual(count.randomPermutationSuccessProbability, Double(valid.count) / Double(factorial),
                           accuracy: 1e-15)
        }
    }

    func testKnownGraphs() {
        // K_N has (N - 1)! / 2 undirected Hamiltonian cycles.
        XCTAssertEqual(UndirectedGraph.complete(vertexCount: 3).countHamiltonianCycles().undirectedCycles, 1)
        XCTAssertEqual(UndirectedGraph.complete(vertexCount: 5).countHamiltonianCycles().undirectedCycles, 12)
        XCTAssertEqual(UndirectedGraph.complete(vertexCount: 10).countHamiltonianCycles().undirectedCycles, 181_440)
        XCTAssertEqual(UndirectedGraph.complete(vertexCount: 10).countHamiltonianCycles()
            .randomPermutationSuccessProbability, 1)
        XCTAssertEqual(petersenGraph.edgeCount, 15)
        XCTAssertEqual(petersenGraph.countHamiltonianCycles().sequencesFromVertexZero, 0)
        // The bare N-cycle: one cycle, 2N valid sequences, probability 2N / N! = 2 / (N - 1)!.
        let ring = UndirectedGraph(vertexCount: 10, edges: (0..<10).map { GraphEdge($0, ($0 + 1) % 10) })
        let count = ring.countHamiltonianCycles()
        XCTAssertEqual(count.undirectedCycles, 1)
        XCTAssertEqual(count.validPermutations, 20)
        XCTAssertEqual(count.randomPermutationSuccessProbability, 2.0 / 362_880, accuracy: 1e-20)
        // Fewer than three vertices: no cycles.
        XCTAssertEqual(UndirectedGraph.complete(vertexCount: 2).countHamiltonianCycles().validPermutations, 0)
        XCTAssertEqual(UndirectedGraph(vertexCount: 0, edges: []).countHamiltonianCycles().validPermutations, 0)
    }

    /// Theorem 1 on the task itself: the reference is a model answering with a uniformly random
    /// permutation, C the Hamiltonian cycles of one planted graph (N = 7, all 5040 permutations as the
    /// response set). The tilt's reward ranks every cycle above every non-cycle by exactly delta, yet the
    /// tilted model generates a cycle with probability q e^{delta/beta} / (1 - q + q e^{delta/beta}),
    /// which for delta / beta = 1 is below 3q.
    func testTheoremOneOnAHamiltonianCycleInstance() {
        var generator = SeededGenerator(seed: 9)
        let planted = PlantedHamiltonianGraph.random(vertexCount: 7, edgeProbability: 0.2, using: &generator)
        let permutations = allPermutations(of: 7)
        let isCorrect = permutations.map { isHamiltonianCycle($0, in: planted.graph) }
        let uniform = [Double](repeating: -log(5040.0), count: 5040)
        let tilt = ExponentialTilt(logReference: uniform, isCorrect: isCorrect, beta: 0.5, margin: 0.5)
        let q = planted.graph.countHamiltonianCycles().randomPermutationSuccessProbability
        XCTAssertEqual(tilt.referenceCorrectMass, q, accuracy: 1e-14)
        XCTAssertEqual(tilt.margins!.minimum, 0.5, accuracy: 1e-13)
        XCTAssertEqual(tilt.margins!.maximum, 0.5, accuracy: 1e-13)
        XCTAssertEqual(tilt.generationProbability, tilt.closedFormGenerationProbability, accuracy: 1e-14)
        XCTAssertLessThan(tilt.generationProbability, exp(1) * q)
        XCTAssertLessThan(tilt.generationProbability, 0.05, "perfect verification, rare generation")
    }
}
