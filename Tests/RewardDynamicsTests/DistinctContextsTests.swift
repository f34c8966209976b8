import LinearAlgebra
import RewardDynamics
import Tasks
import XCTest

/// The IM-RMs over distinct representations (`DistinctContexts`) against the computation over every
/// context: the built-in token-shift task shares every prompt's first context between its sequences.
final class DistinctContextsTests: XCTestCase {
    func testTheTokenShiftTaskHasSharedContextsAndTheClassesCoverEveryContext() throws {
        let instance = try TokenShiftTask().make()
        let layout = SequenceLayout(instance)
        let classes = DistinctContexts(layout)
        XCTAssertFalse(classes.isTrivial)
        XCTAssertLessThan(classes.representatives.count, layout.contextCount)
        XCTAssertLessThan(classes.trainClasses.count, layout.trainContextRows.count)
        for c in 0..<layout.contextCount {
            XCTAssertEqual(layout.contexts.row(c), layout.contexts.row(classes.representatives[classes.classOf[c]]))
        }
        XCTAssertEqual(classes.trainMembers.flatMap { $0 }.sorted(), Array(layout.trainContextRows.indices))
    }

    /// The closed form over the classes (K[classes, train classes] times merged gradient rows) against
    /// Lambda += (eta beta / n) K G over every context and training context, with G from the libm-free
    /// `gradientRows`, step by step; and against training the unembedding.
    func testClassClosedFormEqualsTheWholeKernelUpdateAndTraining() throws {
        let instance = try TokenShiftTask().make()
        let layout = SequenceLayout(instance)
        let learningRate = 1.0 / (instance.beta * instance.beta)
        for reference in [ImplicitReference.frozenInitial, .none] {
            var dynamics = ImplicitRewardDynamics(instance: instance, layout: layout, reference: reference)
            var model = ImplicitRewardModel(instance: instance, layout: layout, reference: reference)
            let kernel = dynamics.contextKernel.materialized()
            var whole = BLAS.product(layout.contexts, instance.unembedding, transposeB: true)
            var worstWhole = 0.0
            var worstTrained = 0.0
            for _ in 0..<30 {
                let readout = ImplicitReadout(logits: whole, tokens: layout.contextTokens)
                let gradient = dynamics.gradient()
                let g = readout.gradientRows(
                    logits: whole, rows: layout.trainContextRows, tokens: layout.contextTokens,
                    contextSequence: layout.contextSequence, sequenceCoefficients: gradient.sequenceCoefficients)
                BLAS.gemm(kernel, g, alpha: learningRate * instance.beta / Double(layout.trainPairs.count), beta: 1,
                          into: &whole)
                try dynamics.step(learningRate: learningRate)
                try model.step(learningRate: learningRate)
                let logits = dynamics.logits
                for index in logits.elements.indices {
                    worstWhole = max(worstWhole, abs(logits.elements[index] - whole.elements[index])
                        / max(1, abs(whole.elements[index])))
                }
                worstTrained = max(worstTrained, NaNPropagating.maxRelativeDifference(dynamics.rewards(), model.rewards()))
            }
            XCTAssertLessThan(worstWhole, 1e-12, "\(reference)")
            XCTAssertLessThan(worstTrained, 1e-12, "\(reference)")
            // the logits moved
            let start = BLAS.product(layout.contexts, instance.unembedding, transposeB: true)
            XCTAssertGreaterThan(zip(dynamics.logits.elements, start.elements).map { abs($0 - $1) }.max()!, 1e-3)
        }
    }
}
