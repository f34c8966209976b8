import LinearAlgebra
import RewardDynamics
import ShiftAnalysis
import Tasks
import TestSupport
import XCTest

final class RepresentationAnalysisTests: XCTestCase {
    func testUnseenPairsHaveNoTokenIdentityPartAndTrainingPairsArePositive() throws {
        try propertySweep(seeds: 0..<3, shapes: [0.0, 0.5]) { sweep, overlap in
            let instance = try ShiftFixtures.tokenShift(seed: sweep.seed, overlap: overlap).make()
            let result = try RepresentationAnalysis.run(on: instance)
            XCTAssertTrue(result.maxMargin.separable)
            for set in result.sets {
                XCTAssertEqual(set.all.pairs, set.seen.pairs + set.unseen.pairs)
                if set.unseen.pairs > 0 {
                    // Exactly zero: no context of an unseen pair predicts a training token.
                    XCTAssertEqual(set.unseen.implicit.meanTokenIdentity, 0, set.name)
                    XCTAssertEqual(set.unseen.implicit.identityPositiveFraction, 0, set.name)
                    XCTAssertEqual(set.unseen.implicit.tokenIdentityShare.maximum, 0, set.name)
                }
                let explicit = try XCTUnwrap(set.all.explicit)
                XCTAssertTrue(explicit.cosine.figures.allSatisfy { (-1...1).contains($0) })
                if set.name == "train" {
                    XCTAssertEqual(explicit.fractionPositive, 1)
                    XCTAssertGreaterThanOrEqual(explicit.innerProduct.minimum, 1 - 1e-9)
                    // Seen pairs: the token-identity part pushes every training pair the right way.
                    XCTAssertEqual(set.all.implicit.identityPositiveFraction, 1)
                }
            }
        }
    }
}
