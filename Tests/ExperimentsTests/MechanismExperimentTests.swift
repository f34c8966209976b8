import Experiments
import TinyLM
import XCTest

final class MechanismExperimentTests: XCTestCase {
    func testQuickRunRecordsEveryStepAndCheckpoint() throws {
        let configuration = MechanismConfiguration.quick  // 5 steps, d = 8
        let result = try MechanismExperiment(configuration: configuration, grammar: Grammar.agreeableness()).run()
        XCTAssertEqual(result.runs.map(\.type), [.explicit, .implicit])
        XCTAssertEqual(MechanismConfiguration.checkpointSteps(total: 5), [0, 1, 2, 5])
        for run in result.runs {
            XCTAssertEqual(run.steps.map(\.step), Array(1...5))
            XCTAssertEqual(run.checkpoints.map(\.step), [0, 1, 2, 5])
            XCTAssertEqual(run.losses.count, 5)
            let first = run.checkpoints[0]
            XCTAssertEqual(first.kernelDrift.overall, 0, "the kernel at step 0 is K_0")
            XCTAssertEqual(first.lazyRelativeError, 0)
            for set in PersonaDataset.setNames {
                XCTAssertEqual(first.lazy[set], first.actual[set], "lazy and trained start together")
                XCTAssertEqual(first.cumulative[set]!.total, 0)
            }
            // The cumulative parts at the last checkpoint are the sums of the single steps' parts.
            let last = run.checkpoints.last!
            for set in PersonaDataset.setNames {
                for part in MechanismPart.parts(of: run.type) {
                    let summed = run.steps.reduce(0) { $0 + $1.predicted[set]![part] }
                    XCTAssertEqual(last.cumulative[set]![part], summed, accuracy: 1e-12 * max(1, abs(summed)))
                }
                let actual = run.steps.reduce(0) { $0 + $1.actual[set]! }
                XCTAssertEqual(last.marginChange[set]!, actual, accuracy: 1e-12 * max(1, abs(actual)),
                               "the margin change is the sum of the steps' changes")
            }
        }
        // The EX-RM's first step starts at u = 0: no backbone gradient, so the head part is everything
        // and the first-order prediction is exact (r = <u, h> is linear in u while h is fixed).
        let explicit = result.runs[0].steps[0]
        for set in PersonaDataset.setNames {
            XCTAssertEqual(explicit.predicted[set]![.backbone], 0)
            XCTAssertEqual(explicit.predicted[set]!.total, explicit.actual[set]!, accuracy: 1e-12)
        }
    }

    func testSameSeedSameNumbersAndAFrozenBackboneHasNoBackboneParts() throws {
        var configuration = MechanismConfiguration.quick
        configuration.steps = 2
        configuration.rewardModels = [.implicit]
        configuration.readoutOnly = true
        let first = try MechanismExperiment(configuration: configuration, grammar: Grammar.agreeableness()).run()
        let second = try MechanismExperiment(configuration: configuration, grammar: Grammar.agreeableness()).run()
        XCTAssertEqual(first, second)
        for step in first.runs[0].steps {
            for (_, parts) in step.predicted {
                for part in MechanismPart.parts(of: .implicit) where part.isBackbone { XCTAssertEqual(parts[part], 0) }
            }
        }
    }

    func testBadConfigurationsAreRefusedWithASentence() {
        var configuration = MechanismConfiguration.quick
        configuration.rewardModels = [.generativeVerifier]
        XCTAssertThrowsError(try MechanismExperiment(configuration: configuration, grammar: Grammar.agreeableness())) {
            XCTAssertTrue("\($0)".contains("EX-GRM"), "\($0)")
        }
        configuration = .quick
        configuration.steps = MechanismConfiguration.maximumSteps + 1
        XCTAssertThrowsError(try MechanismExperiment(configuration: configuration, grammar: Grammar.agreeableness()))
    }
}
