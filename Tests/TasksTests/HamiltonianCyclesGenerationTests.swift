import Foundation
import Tasks
import XCTest

final class HamiltonianCyclesGenerationTests: XCTestCase {
    /// The bare 4-cycle 0-1-2-3: 8 of the 24 permutations are Hamiltonian cycles.
    private let square = UndirectedGraph(vertexCount: 4, edges: [GraphEdge(0, 1), GraphEdge(1, 2), GraphEdge(2, 3),
                                                                 GraphEdge(3, 0)])

    func testChanceFiguresAreTheExactCounts() {
        // The N-cycle alone has 2N valid permutations of N!.
        for n in 4...7 {
            let cycle = UndirectedGraph(vertexCount: n, edges: (0..<n).map { GraphEdge($0, ($0 + 1) % n) })
            let factorial = (1...n).reduce(1.0) { $0 * Double($1) }
            XCTAssertEqual(HamiltonianCyclesGeneration.randomPermutationChance([cycle]), 2 * Double(n) / factorial,
                           accuracy: 1e-15)
            XCTAssertEqual(HamiltonianCyclesGeneration.uniformTokenChance([cycle]),
                           2 * Double(n) / pow(Double(n + 3), Double(n + 1)), accuracy: 1e-18)
        }
        let complete = UndirectedGraph.complete(vertexCount: 5)
        XCTAssertEqual(HamiltonianCyclesGeneration.randomPermutationChance([square, complete]), (1.0 / 3 + 1) / 2,
                       accuracy: 1e-15)
    }

    func testPermutationConstraint() {
        let vocabulary = HamiltonianCyclesVocabulary(vertexCount: 4)
        XCTAssertEqual(vocabulary.permutationConstraint(promptIndex: 0, responseSoFar: []),
                       [true, true, true, true, false, false, false])
        XCTAssertEqual(vocabulary.permutationConstraint(promptIndex: 0, responseSoFar: [2, 0]),
                       [false, true, false, true, false, false, false])
        XCTAssertEqual(vocabulary.permutationConstraint(promptIndex: 0, responseSoFar: [2, 0, 3, 1]),
                       [false, false, false, false, false, false, true])
    }
}
