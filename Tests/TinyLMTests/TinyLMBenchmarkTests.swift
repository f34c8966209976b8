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

final class TinyLMBenchmarkCountTests: XCTestCase {
    func testFlopCountIsThreeTimesTheForwardProducts() {
        // d = 8, 1 block, 2 heads (d_h = 4), m = 32, V = 11; B = 3 sequences of T = 6 (N = 18).
        let size = TinyLMConfiguration(vocabularySize: 11, width: 8, layers: 1, heads: 2, contextLength: 6)
        let forward = 2.0 * 18 * 8 * 24  // queries, keys, values
            + 2 * (2.0 * 3 * 2 * 6 * 6 * 4)  // Q K^T and P V for 3 x 2 blocks of 6 x 6 x 4
            + 2.0 * 18 * 8 * 8  // attention output
            + 2 * (2.0 * 18 * 8 * 32)  // MLP in and out
            + 2.0 * 18 * 8 * 11  // logits
        XCTAssertEqual(TinyLMBenchmark.flopsPerStep(size, batchSize: 3, length: 6), 3 * forward)
    }

    func testMeasureReportsItsPrecisionThreadsAndRates() throws {
        let size = TinyLMConfiguration(vocabularySize: 11, width: 8, layers: 1, heads: 2, contextLength: 6)
        let entry = try TinyLMBenchmark.measure(size, precision: .float32, threads: 2, batchSize: 3, steps: 2, samples: 2)
        XCTAssertEqual(entry.precision, .float32)
        XCTAssertEqual(entry.threads, 2)
        XCTAssertEqual(entry.gflops, entry.flopsPerStep / entry.secondsPerStep * 1e-9, accuracy: 1e-9 * entry.gflops)
        XCTAssertLessThanOrEqual(entry.secondsPerStep, entry.secondsPerStepMedian)
        XCTAssertGreaterThan(entry.cpuSecondsPerStep, 0)
    }
}
