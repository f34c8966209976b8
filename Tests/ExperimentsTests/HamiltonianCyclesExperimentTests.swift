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
            XCTAssertEqual(outcome.lossByTenth.count, config.implicitTraining.steps)
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
        config.implicitTraining = HamiltonianRewardTraining(steps: 40, batchSize: 8, beta: 0.1,
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
        config.implicitTraining.beta = -1
        XCTAssertThrowsError(try HamiltonianExperiment(config))
    }

    /// The N = 8 preset is the default with only what its documentation names changed: N, the training
    /// graphs and the IM-RM's steps (the context follows N); the EX-RM keeps its own 400 steps.
    func testTheEightVertexPresetChangesOnlyWhatItSays() throws {
        let standard = HamiltonianExperimentConfig.standard
        let eight = HamiltonianExperimentConfig.eightVertices
        try HamiltonianExperiment(standard).config.validate()
        try HamiltonianExperiment(eight).config.validate()
        try HamiltonianExperiment(.paper).config.validate()
        XCTAssertEqual(eight.task.vertexCount, 8)
        XCTAssertEqual(eight.task.trainCount, 2 * standard.task.trainCount - standard.validationCount)
        XCTAssertEqual(eight.implicitTraining.steps, 2 * standard.implicitTraining.steps)
        XCTAssertEqual(eight.explicitTraining, standard.explicitTraining)
        XCTAssertEqual(eight.backbone.contextLength,
                       HamiltonianExperimentConfig.contextLength(for: eight.task, promptFormat: eight.promptFormat))
        var undone = eight
        undone.task = standard.task
        undone.implicitTraining.steps = standard.implicitTraining.steps
        XCTAssertEqual(undone, standard)
    }

    func testSeedsAreDeterministicDistinctAndEachIsItsOwnRun() throws {
        var config = HamiltonianExperimentConfig.quick
        config.seed = 7
        config.seedCount = 3
        XCTAssertEqual(config.seeds, [7, 8, 9])
        let experiment = try HamiltonianExperiment(config)
        let result = try experiment.runSeeds(threads: 1)
        XCTAssertEqual(result.runs.map(\.config.seed), [7, 8, 9])
        XCTAssertEqual(try experiment.runSeeds(threads: 2), result, "same seeds, same result, bit for bit")
        // Each run is the single-seed run of its seed, and the seeds give different data and figures.
        XCTAssertEqual(result.runs[1], try HamiltonianExperiment(config.singleRun(1)).run(threads: 1))
        XCTAssertNotEqual(result.runs[0].implicitReward.lossByTenth, result.runs[1].implicitReward.lossByTenth)
        XCTAssertNotEqual(result.runs[1].implicitReward.lossByTenth, result.runs[2].implicitReward.lossByTenth)
        XCTAssertEqual(result.implicitTestAccuracy.perSeed, result.runs.map(\.implicitReward.test.accuracy))
        let accuracies = result.runs.map(\.explicitReward.test.accuracy)
        XCTAssertEqual(result.explicitTestAccuracy.mean, accuracies.reduce(0, +) / 3, accuracy: 1e-15)
        XCTAssertNil(result.implicitValidationAccuracy, "no validation split: no figure, not NaN")
        let json = try JSONOutput.encode(result)
        XCTAssertFalse(json.contains("nan"), "JSON keeps null, never nan")
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        XCTAssertTrue(object["im_rm_validation_accuracy"] is NSNull)
        let spread = try XCTUnwrap(object["im_rm_test_accuracy"] as? [String: Any])
        XCTAssertEqual((spread["per_seed"] as? [Double])?.count, 3)
        XCTAssertEqual(try JSONDecoder().decode(HamiltonianSeedsResult.self, from: try JSONEncoder().encode(result)), result)
    }

    func testTheValidationSplitIsReportedAndKeptOutOfTraining() throws {
        var config = HamiltonianExperimentConfig.quick
        config.task.trainCount = 30
        config.validationCount = 8
        let result = try HamiltonianExperiment(config).run(threads: 1)
        XCTAssertEqual(result.validationGraphCount, 8)
        XCTAssertEqual(result.trainGraphCount + result.droppedTrainGraphs, 22)
        let validation = try XCTUnwrap(result.implicitReward.validation)
        XCTAssertEqual(validation.pairs, 8)
        XCTAssertNotNil(result.explicitReward.validation)
        XCTAssertEqual(result.implicitReward.train.pairs, result.trainGraphCount)
        XCTAssertLessThanOrEqual(result.testGraphsSeenInTraining, config.task.testCount)
        // The test graphs do not depend on the split: the same seed without it gives the same test pairs.
        config.validationCount = 0
        let whole = try HamiltonianExperiment(config).run(threads: 1)
        XCTAssertEqual(whole.implicitReward.testBefore, result.implicitReward.testBefore)
    }

    func testEachRewardModelTrainsOnItsOwnSettings() throws {
        var config = HamiltonianExperimentConfig.quick
        config.explicitTraining.steps = 7
        config.explicitTraining.schedule = .warmupCosine(warmupFraction: 0.2, floor: 0)
        config.promptFormat = .bothDirections
        let result = try HamiltonianExperiment(config).run(threads: 1)
        XCTAssertEqual(result.implicitReward.lossByTenth.count, config.implicitTraining.steps)
        XCTAssertEqual(result.explicitReward.lossByTenth.count, 7)
        XCTAssertEqual(config.backbone.contextLength, HamiltonianExperimentConfig.contextLength(for: config.task, promptFormat: .bothDirections))
        XCTAssertGreaterThan(config.backbone.contextLength, HamiltonianExperimentConfig.contextLength(for: config.task))
    }

    func testOutOfRangeSeedAndValidationSettingsThrowSentences() {
        var config = HamiltonianExperimentConfig.quick
        config.seedCount = 0
        XCTAssertThrowsError(try HamiltonianExperiment(config))
        config = .quick
        config.validationCount = config.task.trainCount
        XCTAssertThrowsError(try HamiltonianExperiment(config)) { error in
            XCTAssertTrue((error as? ConfigurationError)?.message.contains("validation") == true, "\(error)")
        }
        config = .quick
        config.explicitTraining.schedule = .warmupCosine(warmupFraction: 1.5, floor: 0)
        XCTAssertThrowsError(try HamiltonianExperiment(config)) { error in
            XCTAssertTrue((error as? ConfigurationError)?.message.contains("EX-RM") == true, "\(error)")
        }
    }

    func testMeansByTenth() {
        XCTAssertEqual(HamiltonianExperiment.meansByTenth([]), [])
        XCTAssertEqual(HamiltonianExperiment.meansByTenth([1, 2, 3]), [1, 2, 3])
        XCTAssertEqual(HamiltonianExperiment.meansByTenth((0..<20).map(Double.init)), (0..<10).map { Double(2 * $0) + 0.5 })
    }
}
