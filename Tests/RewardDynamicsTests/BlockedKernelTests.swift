import LinearAlgebra
import RewardDynamics
import TestSupport
import XCTest

/// The closed forms with their kernels held in row blocks (the path of runs with over 256 MiB of kernel)
/// against the same closed forms with the kernels held whole (the path of every small run), on small
/// sizes with a budget shrunk so that every block holds a few rows.
final class BlockedKernelTests: XCTestCase {
    /// The same sums over the training contexts, but the BLAS picks its kernels by the shape of each
    /// product (K x and K G on a block of 3 rows against all rows), so the last bits can differ (they do
    /// here; printed); rounding of O(1) values over 20 steps stays far below 1e-12.
    let blockedTolerance = 1e-12

    /// Three rows per block whatever the width.
    private func tinyBudget(rowWidth: Int) -> CrossGramMatrix.Budget {
        CrossGramMatrix.Budget(maximumBytes: 0, blockBytes: 3 * 8 * rowWidth)
    }

    func testBlockedImplicitClosedFormMatchesTheWholeKernel() throws {
        var allBitIdentical = true
        try propertySweep(seeds: 0..<3, shapes: Fixtures.shapes) { sweep, shape in
            let instance = try Fixtures.instance(shape, using: &sweep.generator)
            let layout = SequenceLayout(instance)
            for reference in [ImplicitReference.frozenInitial, .none] {
                var whole = ImplicitRewardDynamics(instance: instance, layout: layout, reference: reference)
                let budget = tinyBudget(rowWidth: layout.trainContextRows.count)
                var blocked = ImplicitRewardDynamics(instance: instance, layout: layout, reference: reference, budget: budget)
                XCTAssertTrue(whole.contextKernel.isMaterialized)
                XCTAssertFalse(blocked.contextKernel.isMaterialized)
                XCTAssertEqual(blocked.contextKernel.blockRows, 3)
                for step in 0..<20 {
                    let wholePrediction = try whole.firstOrderPrediction(learningRate: 0.7)
                    let blockedPrediction = try blocked.firstOrderPrediction(learningRate: 0.7)
                    assertClose(blockedPrediction.tokenIdentity, wholePrediction.tokenIdentity, tolerance: blockedTolerance, "step \(step)")
                    assertClose(blockedPrediction.competition, wholePrediction.competition, tolerance: blockedTolerance, "step \(step)")
                    allBitIdentical = allBitIdentical && blockedPrediction.predicted == wholePrediction.predicted
                    try whole.step(learningRate: 0.7)
                    try blocked.step(learningRate: 0.7)
                }
                assertClose(blocked.logits, whole.logits, tolerance: blockedTolerance, "\(reference)")
                allBitIdentical = allBitIdentical && blocked.logits == whole.logits
            }
        }
        print("BlockedKernelTests: implicit closed form blocked == whole bit for bit: \(allBitIdentical)")
    }

    func testBlockedExplicitClosedFormMatchesTheWholeKernel() throws {
        var allBitIdentical = true
        try propertySweep(seeds: 0..<3, shapes: Fixtures.shapes) { sweep, shape in
            let instance = try Fixtures.instance(shape, using: &sweep.generator)
            let layout = SequenceLayout(instance)
            for readout in [ExplicitReadout.lastPosition, .meanPooled] {
                var whole = ExplicitRewardDynamics(layout: layout, readout: readout, initialHead: instance.head)
                var blocked = ExplicitRewardDynamics(layout: layout, readout: readout, initialHead: instance.head,
                                                     budget: tinyBudget(rowWidth: layout.trainSequences.count))
                XCTAssertFalse(blocked.kernel.isMaterialized)
                for _ in 0..<20 {
                    assertClose(try blocked.predictedStep(learningRate: 0.5), try whole.predictedStep(learningRate: 0.5),
                                tolerance: blockedTolerance)
                    try whole.step(learningRate: 0.5)
                    try blocked.step(learningRate: 0.5)
                }
                assertClose(blocked.rewards, whole.rewards, tolerance: blockedTolerance, "\(readout)")
                allBitIdentical = allBitIdentical && blocked.rewards == whole.rewards
            }
        }
        print("BlockedKernelTests: explicit closed form blocked == whole bit for bit: \(allBitIdentical)")
    }

    func testFirstOrderLawsInBlocksMatchTheWholeLaws() throws {
        // The kernel whole but the laws and overlaps of the contexts in blocks of 3 contexts.
        try propertySweep(seeds: 0..<3, shapes: Fixtures.shapes) { sweep, shape in
            let instance = try Fixtures.instance(shape, using: &sweep.generator)
            let layout = SequenceLayout(instance)
            var dynamics = ImplicitRewardDynamics(instance: instance, layout: layout, reference: .frozenInitial)
            for _ in 0..<3 { try dynamics.step(learningRate: 1) }
            let coefficients = dynamics.gradient().sequenceCoefficients
            let whole = ImplicitFirstOrderPrediction(
                layout: layout, logits: dynamics.logits, contextKernel: dynamics.contextKernel,
                sequenceCoefficients: coefficients, learningRate: 1, beta: instance.beta)
            let budget = tinyBudget(rowWidth: instance.vocabularySize + layout.trainContextRows.count)
            let blocked = ImplicitFirstOrderPrediction(
                layout: layout, logits: dynamics.logits, contextKernel: dynamics.contextKernel,
                sequenceCoefficients: coefficients, learningRate: 1, beta: instance.beta, budget: budget)
            assertClose(blocked.predicted, whole.predicted, tolerance: blockedTolerance)
            assertClose(blocked.tokenIdentity, whole.tokenIdentity, tolerance: blockedTolerance)
        }
    }
}
