import Autodiff
import Foundation
import LinearAlgebra
import TinyLM
import XCTest

final class TinyLMConfigurationTests: XCTestCase {
    private func assertThrows(_ configuration: TinyLMConfiguration, mentioning phrase: String,
                              file: StaticString = #filePath, line: UInt = #line)
    {
        XCTAssertThrowsError(try TinyLM(configuration: configuration, seed: 0), file: file, line: line) { error in
            let message = "\(error)"
            XCTAssert(message.contains(phrase), "message \"\(message)\" does not mention \"\(phrase)\"", file: file, line: line)
        }
    }

    func testPresetsAreValid() throws {
        try TinyLMConfiguration.small(vocabularySize: 50).validate()
        try TinyLMConfiguration.tiny(vocabularySize: 50).validate()
        XCTAssertEqual(TinyLMConfiguration.small(vocabularySize: 50).mlpWidth, 256)
    }

    func testBadConfigurationsThrowSentencesNamingTheField() {
        let good = TinyLMConfiguration.tiny(vocabularySize: 10)
        var c = good
        c.width = 0
        assertThrows(c, mentioning: "width is 0")
        c = good
        c.heads = 3
        assertThrows(c, mentioning: "heads (3) must divide width (16)")
        c = good
        c.heads = 0
        assertThrows(c, mentioning: "heads is 0")
        c = good
        c.layers = 0
        assertThrows(c, mentioning: "layers is 0")
        c = good
        c.vocabularySize = 1
        assertThrows(c, mentioning: "vocabularySize is 1")
        c = good
        c.contextLength = 1
        assertThrows(c, mentioning: "contextLength is 1")
        c = good
        c.mlpWidth = 0
        assertThrows(c, mentioning: "mlpWidth is 0")
        c = good
        c.layerNormEpsilon = 0
        assertThrows(c, mentioning: "layerNormEpsilon")
        c = good
        c.initialScale = .nan
        assertThrows(c, mentioning: "initialScale")
    }

    func testInputsTheModelCannotReadThrowClearErrors() throws {
        let model = try TinyLM(configuration: TinyLMConfiguration(vocabularySize: 5, width: 4, layers: 1, heads: 1,
                                                                  contextLength: 4), seed: 0)
        XCTAssertThrowsError(try model.evaluate([[0, 1, 2, 3, 4]])) { error in
            XCTAssert("\(error)".contains("does not fit contextLength 4; raise contextLength to at least 5"), "\(error)")
        }
        XCTAssertThrowsError(try model.evaluate([[0, 7]])) { error in
            XCTAssert("\(error)".contains("token id 7, outside the vocabulary 0..<5"), "\(error)")
        }
        XCTAssertThrowsError(try TokenBatch([])) { XCTAssert("\($0)".contains("no sequences")) }
        XCTAssertThrowsError(try TokenBatch([[0]])) { XCTAssert("\($0)".contains("at least 2")) }
        XCTAssertThrowsError(try TokenBatch([[0, 1, 2]], responseStarts: [0])) { XCTAssert("\($0)".contains("response start 0")) }
        XCTAssertThrowsError(try TokenBatch([[0, 1, 2]], responseStarts: [3])) { XCTAssert("\($0)".contains("response start 3")) }
        var parameters = model.parameters
        XCTAssertThrowsError(try parameters.freezeAll(except: ["unembeding"])) { error in
            XCTAssert("\(error)".contains("no such parameter"), "\(error)")
        }
    }

    func testConfigurationRoundTripsThroughJSON() throws {
        let configuration = TinyLMConfiguration.small(vocabularySize: 37)
        let decoded = try JSONDecoder().decode(TinyLMConfiguration.self, from: JSONEncoder().encode(configuration))
        XCTAssertEqual(decoded, configuration)
    }

    func testParameterShapesFollowTheConfiguration() throws {
        let configuration = TinyLMConfiguration(vocabularySize: 11, width: 6, layers: 2, heads: 3, contextLength: 9, mlpWidth: 5)
        let model = try TinyLM(configuration: configuration, seed: 1)
        let p = model.parameters
        XCTAssertEqual(p[TinyLMParameterName.unembedding].rows, 11)
        XCTAssertEqual(p[TinyLMParameterName.unembedding].columns, 6)
        XCTAssertEqual(p[TinyLMParameterName.positionEmbedding].rows, 9)
        XCTAssertEqual(p[TinyLMParameterName.Block(1).queryKeyValueWeight].columns, 18)
        XCTAssertEqual(p[TinyLMParameterName.Block(1).mlpOutputWeight].rows, 5)
        // V d (embedding) + T d + V d (unembedding) + 2 d (final norm) + per block:
        // 2d + (3d^2 + 3d) + (d^2 + d) + 2d + (d m + m) + (m d + d).
        let d = 6, m = 5
        let perBlock = 2 * d + 3 * d * d + 3 * d + d * d + d + 2 * d + d * m + m + m * d + d
        XCTAssertEqual(p.scalarCount, 11 * d + 9 * d + 11 * d + 2 * d + 2 * perBlock)
    }
}
