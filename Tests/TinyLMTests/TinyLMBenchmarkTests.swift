import TheorycheckCore
import TinyLM
import XCTest

final class TinyLMBenchmarkTests: XCTestCase {
    func testReportsOneCasePerSizeWithConsistentFigures() throws {
        let size = TinyLMConfiguration(vocabularySize: 11, width: 8, layers: 1, heads: 2, contextLength: 6)
        let cases = try TinyLMBenchmark.run(sizes: [size, size], batchSize: 3, steps: 2)
        XCTAssertEqual(cases.count, 2)
        for entry in cases {
            XCTAssertEqual(entry.width, 8)
            XCTAssertGreaterThan(entry.secondsPerStep, 0)
            XCTAssertEqual(entry.tokensPerSecond * entry.secondsPerStep, 18, accuracy: 1e-9, "3 sequences of 6 tokens per step")
        }
        let json = try JSONOutput.encode(cases[0])
        for key in ["\"vocabulary_size\"", "\"width\"", "\"tokens_per_second\"", "\"seconds_per_step\""] {
            XCTAssert(json.contains(key), json)
        }
    }
}
