import Foundation
import LinearAlgebra
import Tasks
import TestSupport
import XCTest

final class HamiltonianCyclesDatasetTests: XCTestCase {
    func testChosenResponsesVerifyAndRejectedOnesNever() throws {
        var generator = SeededGenerator(seed: 12)
        let config = HamiltonianCyclesConfig(vertexCount: 7, edgeProbability: 0.2, trainCount: 64, testCount: 32)
        let dataset = try HamiltonianCyclesDataset.generate(config, using: &generator)
        XCTAssertEqual(dataset.train.count, 64)
        XCTAssertEqual(dataset.test.count, 32)
        for example in dataset.train + dataset.test {
            XCTAssertTrue(isHamiltonianCycle(example.chosen, in: example.graph))
            XCTAssertFalse(isHamiltonianCycle(example.rejected, in: example.graph))
            XCTAssertEqual(example.rejected.sorted(), Array(0..<7))
        }
        XCTAssertGreaterThan(Set(dataset.train.map(\.graph)).count, 60, "graphs are drawn independently")
    }

    func testGenerationIsDeterministicGivenTheSeed() throws {
        var first = SeededGenerator(seed: 5)
        var second = SeededGenerator(seed: 5)
        var other = SeededGenerator(seed: 6)
        let a = try HamiltonianCyclesDataset.generate(.laptop, using: &first)
        XCTAssertEqual(a, try HamiltonianCyclesDataset.generate(.laptop, using: &second))
        XCTAssertNotEqual(a, try HamiltonianCyclesDataset.generate(.laptop, using: &other))
    }

    func testPresetsAreValidAndMatchThePaper() throws {
        try HamiltonianCyclesConfig.paper.validate()
        try HamiltonianCyclesConfig.laptop.validate()
        XCTAssertEqual(HamiltonianCyclesConfig.paper.vertexCount, 10)
        XCTAssertEqual(HamiltonianCyclesConfig.paper.edgeProbability, 0.2)
        XCTAssertEqual(HamiltonianCyclesConfig.paper.trainCount, 1000)
        XCTAssertEqual(HamiltonianCyclesConfig.paper.testCount, 200)
    }

    /// The laptop preset keeps generation hard: averaged over its graphs, a random permutation is a
    /// Hamiltonian cycle with probability a few in a thousand (2N / N! = 1 / 360 for the bare 7-cycle).
    func testLaptopPresetKeepsRandomGuessingRare() throws {
        var generator = SeededGenerator(seed: 1)
        let dataset = try HamiltonianCyclesDataset.generate(.laptop, using: &generator)
        let chances = dataset.train.map { $0.graph.countHamiltonianCycles().randomPermutationSuccessProbability }
        let mean = chances.reduce(0, +) / Double(chances.count)
        XCTAssertGreaterThanOrEqual(chances.min()!, 1.0 / 360 - 1e-15)
        XCTAssertLessThan(mean, 0.01, "mean chance \(mean)")
    }

    func testInvalidSettingsThrowASentence() {
        let cases: [(HamiltonianCyclesConfig, String)] = [
            (HamiltonianCyclesConfig(vertexCount: 2, edgeProbability: 0.2, trainCount: 1, testCount: 1), "at least 3"),
            (HamiltonianCyclesConfig(vertexCount: 21, edgeProbability: 0.2, trainCount: 1, testCount: 1), "at most 20"),
            (HamiltonianCyclesConfig(vertexCount: 7, edgeProbability: -0.1, trainCount: 1, testCount: 1), "between 0 and 1"),
            (HamiltonianCyclesConfig(vertexCount: 7, edgeProbability: .nan, trainCount: 1, testCount: 1), "between 0 and 1"),
            (HamiltonianCyclesConfig(vertexCount: 7, edgeProbability: 1, trainCount: 1, testCount: 1), "below 1"),
            (HamiltonianCyclesConfig(vertexCount: 7, edgeProbability: 0.2, trainCount: 0, testCount: 1), "at least 1"),
        ]
        for (config, phrase) in cases {
            XCTAssertThrowsError(try config.validate(), "\(config)") { error in
                XCTAssertTrue("\(error)".contains(phrase), "\"\(error)\" should mention \"\(phrase)\"")
            }
        }
    }

    func testConfigRoundTripsThroughJSON() throws {
        let data = try JSONEncoder().encode(HamiltonianCyclesConfig.laptop)
        XCTAssertEqual(try JSONDecoder().decode(HamiltonianCyclesConfig.self, from: data), .laptop)
    }
}
