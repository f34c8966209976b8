import Foundation
import Experiments
import LinearAlgebra
import Tasks
import TheorycheckCore
import TinyLM
import XCTest

final class HamiltonianCyclesExperimentTests: XCTestCase {
    func testQuickRunStartsAtChanceAndReportsEveryFigure() throws {
        let config = HamiltonianExperimentConfig.quick
        let result = try HamiltonianExperiment(config).run()
        for outcome in [result.implicitReward, result.explicitReward] {
            // pi = pi_ref and u = 0 before training: every reward is exactly 0, every accuracy exactly 1/2.
            XCTAssertEqual(outcome.trainBefore.accuracy, 0.5)
            XCTAssertEqual(outcome.testBefore.accuracy, 0.5)
            XCTAssertEqual(outcome.trainBefore.meanChosenReward, 0)
            XCTAssertEqual(outcome.trainBefore.meanRejectedReward, 0)
            XCTAssertEqual(outcome.trainBefore.normalizedMargin, 0)
            XCTAssert((0...1).contains(outcome.test.accuracy))
            XCTAssertEqual(outcome.lossByTenth.count, config.rewardTraining.steps)
            XCTAssertEqual(outcome.lossByTenth[0], log(2), accuracy: 1e-12, "rewards 0 give loss ln 2")
        }
        let before = try XCTUnwrap(result.implicitReward.generationBefore)
        let after = try XCTUnwrap(result.implicitReward.generationAfter)
        XCTAssertEqual(before.samples, config.task.testCount * config.generation.samplesPerGraph)
        XCTAssertEqual(after.samples, before.samples)
        XCTAssertNil(result.explicitReward.generationBefore, "an EX-RM has no policy")
        let massBefore = try XCTUnwrap(result.implicitReward.validMassBefore)
        XCTAssert(massBefore > 0 && massBefore < 1)
        XCTAssert(result.randomPermutationChance > 0 && result.randomPermutationChance <= 1)
        XCTAssertLessThan(result.uniformTokenChance, result.randomPermutationChance)
        XCTAssertEqual(result.referenceLossByTenth.count, config.backbone.pretraining.steps)
    }

    func testSameSeedSameResultAndTheJSONKeysOfTheIssue() throws {
        var config = HamiltonianExperimentConfig.quick
        config.seed = 5
        let first = try HamiltonianExperiment(config).run()
        let second = try HamiltonianExperiment(config).run()
        XCTAssertEqual(first, second)
        config.seed = 6
        XCTAssertNotEqual(try HamiltonianExperiment(config).run(), first)

        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(JSONOutput.encode(first).utf8)) as? [String: Any])
        let implicit = try XCTUnwrap(object["im_rm"] as? [String: Any])
        XCTAssertNotNil(implicit["train_accuracy"] as? Double)
        XCTAssertNotNil(implicit["test_accuracy"] as? Double)
        let generation = try XCTUnwrap(implicit["generation_valid_fraction"] as? [String: Double])
        XCTAssertEqual(Set(generation.keys), ["before", "after"])
        let explicit = try XCTUnwrap(object["ex_rm"] as? [String: Any])
        XCTAssertNotNil(explicit["test_accuracy"] as? Double)
        let data = try JSONEncoder().encode(first)
        XCTAssertEqual(try JSONDecoder().decode(HamiltonianExperimentResult.self, from: data), first, "Codable round trip")
    }

    func testResultsDoNotDependOnTheThreadCount() throws {
        // Two threads put the IM-RM and the EX-RM side by side and pi_ref's steps on both; three threads
        // also give the steps a third. Every figure must stay bit for bit the same.
        let experiment = try HamiltonianExperiment(.quick)
        let serial = try experiment.run(threads: 1)
        XCTAssertEqual(try experiment.run(threads: 2), serial)
        XCTAssertEqual(try experiment.run(threads: 3), serial)
    }

    func testFloat32RunStartsAtChanceAndStaysCloseToFloat64() throws {
        var config = HamiltonianExperimentConfig.quick
        let exact = try HamiltonianExperiment(config).run()
        config.backbone.precision = .float32
        let single = try HamiltonianExperiment(config).run()
        for (outcome, reference) in [(single.implicitReward, exact.implicitReward), (single.explicitReward, exact.explicitReward)] {
            // Both policies round pi and pi_ref the same way, and u = 0: exactly 0 before training.
            XCTAssertEqual(outcome.trainBefore.meanChosenReward, 0)
            XCTAssertEqual(outcome.trainBefore.accuracy, 0.5)
            // Four Adam steps from the same start: the losses agree to well within float32's reach of
            // the float64 ones (u = 6e-8, a few hundred operations deep: 1e-4 is a generous bound).
            for (a, b) in zip(outcome.lossByTenth, reference.lossByTenth) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        }
    }

    /// Theory vs. training on a tiny scale: 40 steps on 8 graphs are enough for the IM-RM to
    /// rank its own training pairs, so the trainer really trains (this is memorization, not a claim
    /// about generalization).
    func testTheImplicitRewardModelFitsItsTrainingPairs() throws {
        var config = HamiltonianExperimentConfig.quick
        config.task.trainCount = 8
        config.task.testCount = 2
        config.backbone.pretraining.steps = 0
        config.generation.samplesPerGraph = 1
        config.rewardTraining = HamiltonianRewardTraining(steps: 40, batchSize: 8, beta: 0.1,
                                                          adam: AdamConfiguration(learningRate: 1e-2))
        let result = try HamiltonianExperiment(config).run()
        XCTAssertGreaterThanOrEqual(result.implicitReward.train.accuracy, 0.9, "\(result.implicitReward.lossByTenth)")
        XCTAssertLessThan(result.implicitReward.lossByTenth.last!, 0.5 * log(2))
    }

    func testInvalidConfigsThrow() {
        var config = HamiltonianExperimentConfig.quick
        config.backbone.heads = 3
        XCTAssertThrowsError(try HamiltonianExperiment(config), "heads must divide width")
        config = .quick
        config.task.edgeProbability = 1
        XCTAssertThrowsError(try HamiltonianExperiment(config))
        config = .quick
        config.generation.samplesPerGraph = 0
        XCTAssertThrowsError(try HamiltonianExperiment(config))
        config = .quick
        config.rewardTraining.beta = -1
        XCTAssertThrowsError(try HamiltonianExperiment(config))
    }

    func testMeansByTenth() {
        XCTAssertEqual(HamiltonianExperiment.meansByTenth([]), [])
        XCTAssertEqual(HamiltonianExperiment.meansByTenth([1, 2, 3]), [1, 2, 3])
        XCTAssertEqual(HamiltonianExperiment.meansByTenth((0..<20).map(Double.init)), (0..<10).map { Double(2 * $0) + 0.5 })
    }
}
