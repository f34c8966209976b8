import LinearAlgebra
import Tasks
import TestSupport
import XCTest

final class HamiltonianCyclesValidationSplitTests: XCTestCase {
    func testValidationIsCarvedFromTrainingAndNoValidationGraphIsTrainedOn() throws {
        // N = 5, p = 0.2 repeats graphs often, so the duplicate rule is exercised.
        try propertySweep(seeds: 0..<5, shapes: [0, 8, 40]) { sweep, validationCount in
            let config = HamiltonianCyclesConfig(vertexCount: 5, edgeProbability: 0.2, trainCount: 120, testCount: 10)
            let dataset = try HamiltonianCyclesDataset.generate(config, using: &sweep.generator)
            let split = try HamiltonianCyclesValidationSplit(dataset, validationCount: validationCount)
            XCTAssertEqual(split.validation, Array(dataset.train.suffix(validationCount)))
            let validationGraphs = Set(split.validation.map(\.graph))
            XCTAssertTrue(split.train.allSatisfy { !validationGraphs.contains($0.graph) })
            XCTAssertEqual(split.train.count + split.droppedDuplicates + validationCount, dataset.train.count)
            // Training keeps dataset order, drawn from the first trainCount - V examples only.
            let candidates = Array(dataset.train.prefix(dataset.train.count - validationCount))
            XCTAssertEqual(split.train, candidates.filter { !validationGraphs.contains($0.graph) })
            if validationCount == 0 { XCTAssertEqual(split.train, dataset.train) }
        }
    }

    func testTooLargeAValidationSetThrows() throws {
        var generator = SeededGenerator(seed: 1)
        let config = HamiltonianCyclesConfig(vertexCount: 6, edgeProbability: 0.2, trainCount: 10, testCount: 2)
        let dataset = try HamiltonianCyclesDataset.generate(config, using: &generator)
        XCTAssertThrowsError(try HamiltonianCyclesValidationSplit(dataset, validationCount: 10))
        XCTAssertThrowsError(try HamiltonianCyclesValidationSplit(dataset, validationCount: -1))
    }
}
