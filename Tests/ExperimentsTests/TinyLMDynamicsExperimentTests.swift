import Experiments
import TinyLM
import XCTest

final class TinyLMDynamicsExperimentTests: XCTestCase {
    func testFrozenBackboneExplicitPredictionsAreExactAndEveryStepIsRecorded() throws {
        var configuration = TinyLMDynamicsConfiguration.quick
        configuration.readoutOnly = true
        configuration.rewardModels = [.explicit, .implicit, .generativeVerifier]
        let result = try TinyLMDynamicsExperiment(configuration: configuration, grammar: Grammar.agreeableness()).run()
        XCTAssertEqual(result.runs.map(\.type), [.explicit, .implicit, .generativeVerifier])
        for run in result.runs {
            XCTAssertEqual(run.trajectory.map(\.step), [1, 2, 3])
            XCTAssertEqual(run.checkpoints.map(\.step), [0, 1, 3])
            XCTAssertEqual(run.losses.count, 3)
            // Frozen backbone: the tangent kernel over the trainable parameters is the read-out's.
            XCTAssertEqual(run.ntk.relativeError, run.assumption1.relativeError, accuracy: 1e-9, "\(run.type)")
        }
        // EX-RM: linear in u, so the closed form is exact (up to rounding) when only u moves.
        XCTAssertLessThan(result.runs[0].assumption1.relativeError, 1e-9)
        XCTAssertEqual(Set(result.prediction.keys), ["ex_rm", "im_rm", "ex_grm"])
    }

    func testSameSeedSameNumbers() throws {
        var configuration = TinyLMDynamicsConfiguration.quick
        configuration.rewardModels = [.implicitWithoutReference]
        let first = try TinyLMDynamicsExperiment(configuration: configuration, grammar: Grammar.agreeableness()).run()
        let second = try TinyLMDynamicsExperiment(configuration: configuration, grammar: Grammar.agreeableness()).run()
        XCTAssertEqual(first, second)
    }

    func testSeveralSeedsAreTheSingleSeedRunsSideBySide() throws {
        var configuration = TinyLMDynamicsConfiguration.quick
        configuration.rewardModels = [.explicit, .implicit]
        configuration.threads = 2
        let grammar = try Grammar.agreeableness()
        let results = try TinyLMDynamicsExperiment(configuration: configuration, grammar: grammar).run(seeds: [3, 4])
        XCTAssertEqual(results.map(\.configuration.seed), [3, 4])
        for result in results {
            var alone = configuration
            alone.seed = result.configuration.seed
            alone.threads = 1
            // Queued with the other seed on two threads, or run alone on one: the same numbers, bit for bit.
            XCTAssertEqual(try TinyLMDynamicsExperiment(configuration: alone, grammar: grammar).run().runs, result.runs)
        }
        XCTAssertNotEqual(results[0].runs[1].losses, results[1].runs[1].losses, "each seed is its own run")
        XCTAssertNotEqual(results[0].pretraining.heldOutLossAfter, results[1].pretraining.heldOutLossAfter)
    }

    func testConsecutiveSeedsStartAtTheSettingsSeedAndRejectBadCounts() throws {
        var setting = TinyLMDynamicsConfiguration.quick.setting
        setting.seed = 7
        XCTAssertEqual(try setting.consecutiveSeeds(3), [7, 8, 9])
        XCTAssertEqual(try setting.consecutiveSeeds(1), [7])
        XCTAssertThrowsError(try setting.consecutiveSeeds(0))
        setting.seed = UInt64.max - 1
        XCTAssertEqual(try setting.consecutiveSeeds(2), [UInt64.max - 1, UInt64.max])
        XCTAssertThrowsError(try setting.consecutiveSeeds(3))
    }
}
