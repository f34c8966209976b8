import LinearAlgebra
import Tasks
import TestSupport
import XCTest

final class HamiltonianCyclesVocabularyTests: XCTestCase {
    func testTheDocumentedExample() {
        let graph = UndirectedGraph(vertexCount: 4, edges: [
            GraphEdge(0, 1), GraphEdge(1, 2), GraphEdge(2, 3), GraphEdge(3, 0), GraphEdge(2, 0),
        ])
        let vocabulary = HamiltonianCyclesVocabulary(vertexCount: 4)
        XCTAssertEqual(vocabulary.text(of: vocabulary.encodePrompt(graph)), "0 1 ; 0 2 ; 0 3 ; 1 2 ; 2 3 =>")
        XCTAssertEqual(vocabulary.text(of: vocabulary.encodeResponse([0, 1, 2, 3])), "0 1 2 3 <eos>")
        XCTAssertEqual(vocabulary.encodePrompt(graph), [0, 1, 4, 0, 2, 4, 0, 3, 4, 1, 2, 4, 2, 3, 5])
        XCTAssertEqual(vocabulary.tokenTexts, ["0", "1", "2", "3", ";", "=>", "<eos>"])
        XCTAssertEqual(vocabulary.size, 7)
    }

    func testBothDirectionsListsAnAdjacencyList() {
        let graph = UndirectedGraph(vertexCount: 4, edges: [
            GraphEdge(0, 1), GraphEdge(1, 2), GraphEdge(2, 3), GraphEdge(3, 0), GraphEdge(2, 0),
        ])
        let vocabulary = HamiltonianCyclesVocabulary(vertexCount: 4, promptFormat: .bothDirections)
        XCTAssertEqual(vocabulary.text(of: vocabulary.encodePrompt(graph)),
                       "0 1 ; 0 2 ; 0 3 ; 1 0 ; 1 2 ; 2 0 ; 2 1 ; 2 3 ; 3 0 ; 3 2 =>")
        XCTAssertEqual(vocabulary.longestPrompt, 36, "the complete graph: 12 ordered pairs of 3 tokens")
        XCTAssertEqual(HamiltonianCyclesVocabulary(vertexCount: 4).longestPrompt, 18)
    }

    func testEncodingRoundTripsAndStaysInsideTheVocabulary() {
        propertySweep(seeds: 0..<10, shapes: [3, 7, 10, 14]) { sweep, vertexCount in
            let planted = PlantedHamiltonianGraph.random(vertexCount: vertexCount, edgeProbability: 0.25,
                                                         using: &sweep.generator)
            for format in HamiltonianCyclesVocabulary.PromptFormat.allCases {
                let vocabulary = HamiltonianCyclesVocabulary(vertexCount: vertexCount, promptFormat: format)
                let prompt = vocabulary.encodePrompt(planted.graph)
                let response = vocabulary.encodeResponse(planted.plantedCycle)
                XCTAssertEqual(prompt.count, 3 * planted.graph.edgeCount * (format == .sorted ? 1 : 2), "\(format)")
                XCTAssertLessThanOrEqual(prompt.count, vocabulary.longestPrompt)
                XCTAssertEqual(response.count, vertexCount + 1)
                XCTAssertTrue((prompt + response).allSatisfy { $0 >= 0 && $0 < vocabulary.size })
                XCTAssertEqual(vocabulary.decodePrompt(prompt), planted.graph, "\(format)")
                XCTAssertEqual(vocabulary.decodeResponse(response), planted.plantedCycle)
            }
        }
    }

    func testMalformedSequencesDoNotDecode() {
        let vocabulary = HamiltonianCyclesVocabulary(vertexCount: 5)
        XCTAssertNil(vocabulary.decodePrompt([0, 1]), "no answer marker")
        XCTAssertNil(vocabulary.decodePrompt([0, 1, 2, 6]), "edges not separated")
        XCTAssertNil(vocabulary.decodePrompt([0, 0, 6]), "self-loop")
        XCTAssertNil(vocabulary.decodePrompt([0, 1, 5, 6]), "dangling separator")
        XCTAssertNil(vocabulary.decodeResponse([0, 1, 2]), "no end of sequence")
        XCTAssertNil(vocabulary.decodeResponse([0, 5, 7]), "separator inside a response")
        XCTAssertEqual(vocabulary.decodePrompt([6]), UndirectedGraph(vertexCount: 5, edges: []))
    }
}
