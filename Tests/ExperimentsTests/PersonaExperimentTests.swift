import Experiments
import TheorycheckCore
import TinyLM
import XCTest

final class PersonaExperimentTests: XCTestCase {
    func testQuickRunHasEveryTypeAndSetAndIsIndependentOfThreads() throws {
        var configuration = PersonaConfiguration.quick
        let sequential = try PersonaExperiment(configuration: configuration, grammar: Grammar.agreeableness()).run()
        configuration.threads = 2
        let parallel = try PersonaExperiment(configuration: configuration, grammar: Grammar.agreeableness()).run()
        XCTAssertEqual(sequential.runs, parallel.runs, "same seeds, same numbers, whatever the thread count")
        let summary = sequential.summary
        XCTAssertEqual(Set(summary.keys), Set(RewardModelKind.allCases.map(\.rawValue)))
        for (_, sets) in summary {
            XCTAssertEqual(Set(sets.keys), Set(PersonaDataset.setNames))
        }
        // Step 0: EX-RM heads are 0 and pi = pi_ref, so those rewards all tie at exactly 1/2.
        for run in sequential.runs where run.type == .explicit || run.type == .implicit {
            XCTAssertEqual(run.checkpoints[0].step, 0)
            XCTAssert(run.checkpoints[0].sets.values.allSatisfy { $0.accuracy == 0.5 }, "\(run.type)")
        }
        XCTAssertEqual(sequential.pretraining.count, 2)
        XCTAssert(sequential.pretraining.allSatisfy { $0.heldOutLossAfter < $0.heldOutLossBefore })
    }

    func testContextShorterThanTheTemplatesIsAClearError() {
        var configuration = PersonaConfiguration.quick
        configuration.backbone.contextLength = 12
        XCTAssertThrowsError(try PersonaExperiment(configuration: configuration, grammar: Grammar.agreeableness())) { error in
            XCTAssert("\(error)".contains("context length 12 is shorter than the longest Persona sequence"), "\(error)")
        }
        configuration = .quick
        configuration.backbone.width = 0
        XCTAssertThrowsError(try PersonaExperiment(configuration: configuration, grammar: Grammar.agreeableness())) { error in
            XCTAssert("\(error)".contains("width is 0"), "\(error)")
        }
    }
}
