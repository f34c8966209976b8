import Experiments
import LinearAlgebra
import RewardDynamics
import Tasks
import TestSupport
import XCTest

/// The fixed-representation dynamics experiment stops with an error that names the model, the step and
/// the cause, never with NaN figures (the reward models' own checks are in RewardDynamicsTests).
final class DynamicsDivergenceTests: XCTestCase {
    private func instance(seed: UInt64 = 1, beta: Double = 0.5) throws -> Instance {
        var generator = SeededGenerator(seed: seed)
        return try RandomInstance(vocabularySize: 30, hiddenWidth: 8, trainPairs: 6, responseLength: 3, evaluationPairs: 5,
                                  beta: beta, unembeddingScale: 2).make(using: &generator)
    }

    func testATinyBetaOrAnInfiniteRateIsBlamedOnWhatCausedIt() throws {
        let instance = try instance(beta: 1e-200)
        let run = expectDivergence {
            _ = try DynamicsExperiment(steps: 50, explicitLearningRate: 0.01, implicitLearningRate: .infinity).run(on: instance)
        }
        XCTAssertEqual(run?.cause, .betaTooSmall(1e-200), "the default rate would be infinite too: beta is to blame")
        XCTAssertEqual(run?.model, "im_rm")
        let large = expectDivergence {
            _ = try DynamicsExperiment(steps: 5, explicitLearningRate: 0.01, implicitLearningRate: .infinity)
                .run(on: try self.instance())
        }
        XCTAssertEqual(large?.cause, .learningRateTooLarge(.infinity), "beta 0.5 is fine: the rate itself is to blame")
    }

    func testTheDynamicsExperimentThrowsInsteadOfReportingNaNAccuracyAndZeroAgreement() throws {
        let instance = try instance()
        let error = expectDivergence {
            _ = try DynamicsExperiment(steps: 50, explicitLearningRate: 0.01, implicitLearningRate: 1e306)
                .run(on: try ShiftFixtures.scaled(instance, by: 1e3))
        }
        XCTAssertEqual(error?.model.hasPrefix("im_rm"), true, error?.description ?? "")
        XCTAssertEqual(error?.cause, .learningRateTooLarge(1e306))
        // The same run at a sane rate is finite everywhere, agreement included.
        let result = try DynamicsExperiment(steps: 50, explicitLearningRate: 0.01, implicitLearningRate: 0.04).run(on: instance)
        XCTAssertTrue(result.agreement.values.allSatisfy(\.isFinite))
        XCTAssertTrue(result.checkpoints.allSatisfy { $0.metrics.values.allSatisfy { $0.values.allSatisfy(\.accuracy.isFinite) } })
    }

    func testHiddenStatesNear1e155AreBlamedOnTheRepresentations() throws {
        let huge = try ShiftFixtures.scaled(try instance(), by: 1e155)
        let experiment = expectDivergence {
            _ = try DynamicsExperiment(steps: 5, explicitLearningRate: 0.01, implicitLearningRate: 0.04).run(on: huge)
        }
        guard case .hiddenStatesTooLarge = experiment?.cause else {
            return XCTFail("cause \(String(describing: experiment?.cause))")
        }
    }
}
