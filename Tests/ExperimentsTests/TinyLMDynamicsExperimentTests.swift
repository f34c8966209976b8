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
}
