import LinearAlgebra
import RewardDynamics
import Tasks
import XCTest

final class ExportShapedInstanceTests: XCTestCase {
    func testShapeIdsFloat32ValuesAndDeterminism() throws {
        let spec = ExportShapedInstance(vocabularySize: 60, hiddenWidth: 8, trainPairs: 5,
                                        evaluationSets: [("test", 3), ("paraphrase", 4)], responseLength: 6,
                                        lengthSpread: 2, responseVocabulary: 20)
        var first = SeededGenerator(seed: 9)
        var second = SeededGenerator(seed: 9)
        let a = try spec.make(using: &first)
        let b = try spec.make(using: &second)
        XCTAssertEqual(a.unembedding, b.unembedding)
        XCTAssertEqual(a.sequences, b.sequences)
        XCTAssertEqual(a.train.map(\.chosen), (1...5).map { "train/\($0)/chosen" })
        XCTAssertEqual(a.evaluationSets.map(\.name), ["test", "paraphrase"])
        XCTAssertEqual(a.evaluationSets.map(\.pairs.count), [3, 4])
        XCTAssertTrue(a.unembedding.elements.allSatisfy { Double(Float($0)) == $0 })
        for (id, sequence) in a.sequences {
            XCTAssertTrue((4...8).contains(sequence.length), id)
            XCTAssertTrue(sequence.hidden.elements.allSatisfy { Double(Float($0)) == $0 }, id)
            let bound = id.hasPrefix("train/") ? 20 : 40
            XCTAssertTrue(sequence.tokens.allSatisfy { (0..<bound).contains($0) }, id)
        }
    }
}
