import TheorycheckCore
import LinearAlgebra
import RewardDynamics
import TheorycheckCore
import Tasks
import XCTest

final class RunCostEstimateTests: XCTestCase {
    private func shape(vocabulary: Int, width: Int, contexts: Int, pairs: Int) -> RunShape {
        // Every sequence is in a training pair; responses of contexts / (2 pairs) tokens.
        RunShape(vocabularySize: vocabulary, hiddenWidth: width, contexts: contexts, trainContexts: contexts,
                 sequences: 2 * pairs, trainSequences: 2 * pairs, trainPairs: pairs)
    }

    private let allKinds = RunCostEstimate.Run.dynamics(kinds: RewardModelKind.fixedRepresentation, checksClosedForms: true)

    func testTheShapeOfAnInstanceIsCountedWithoutItsLayout() throws {
        var generator = SeededGenerator(seed: 2)
        let instance = try RandomInstance(vocabularySize: 40, hiddenWidth: 6, trainPairs: 7, responseLength: 3,
                                          evaluationPairs: 4).make(using: &generator)
        let layout = SequenceLayout(instance)
        let shape = RunShape(instance: instance)
        XCTAssertEqual(shape, RunShape(vocabularySize: 40, hiddenWidth: 6, contexts: layout.contextCount,
                                       trainContexts: layout.trainContextRows.count, sequences: layout.sequenceCount,
                                       trainSequences: layout.trainSequences.count, trainPairs: 7))
    }

    func testMemoryGrowsLinearlyInTheContextsOnceTheKernelsAreBlocked() {
        // Small V and d: at 20000 contexts a whole kernel would be 3.2 GB; blocked, nothing is quadratic.
        for run in [allKinds, .step, .analyze] {
            let base = RunCostEstimate(run: run, shape: shape(vocabulary: 64, width: 16, contexts: 20_000, pairs: 2_500))
            let double = RunCostEstimate(run: run, shape: shape(vocabulary: 64, width: 16, contexts: 40_000, pairs: 5_000))
            // Far below one whole 3.2 GB context kernel; what remains quadratic is the two EX-RM kernels over
            // 5000 sequences (200 MB each, kept whole under the 256 MiB rule) of a dynamics run.
            XCTAssertLessThan(base.peakBytes, 20_000 * 20_000 * 8 / 4, "\(run)")
            // Linear terms double; the blocks stay at 32 MiB: the ratio is at most 2.
            XCTAssertLessThanOrEqual(Double(double.peakBytes) / Double(base.peakBytes), 2.0, "\(run)")
            XCTAssertTrue(base.items.allSatisfy { $0.bytes <= 256 << 20 || $0.name.contains("C x V") }, "\(base.items)")
        }
    }

    func testTheEstimateCountsEveryLogitsSizedMatrixOfADynamicsRun() {
        let shape = shape(vocabulary: 50_000, width: 256, contexts: 2048, pairs: 64)
        let estimate = RunCostEstimate(run: allKinds, shape: shape)
        let logits = 2048 * 50_000 * 8
        // Per IM-RM kind: the parameter-space logits and gradient rows, the closed form's logits and
        // gradient rows (4 of them, 2 kinds); at a checkpoint the first-order prediction's training laws
        // (1) and one 32 MiB block of laws.
        let logitsSized = estimate.items.filter { $0.bytes >= logits }.reduce(0) { $0 + $1.bytes }
        XCTAssertEqual(logitsSized, 9 * logits)
        XCTAssertGreaterThan(estimate.peakBytes, 9 * logits)
        XCTAssertLessThan(estimate.peakBytes, 10 * logits)
        XCTAssertEqual(estimate.items, estimate.items.sorted { $0.bytes > $1.bytes }, "largest first")
        // One step: per IM kind 2 C d V (logits) + 2 V C d (update) + 2 C C V (closed form); per EX kind
        // 4 S d + 2 S S (the kernels are whole here, so none is recomputed).
        let c = 2048.0, v = 50_000.0, d = 256.0, s = 128.0
        let implicitFlops = 4 * c * d * v + 2 * c * c * v
        let explicitFlops = 4 * s * d + 2 * s * s
        XCTAssertEqual(estimate.flopsPerStep, 2 * implicitFlops + 2 * explicitFlops)
        XCTAssertTrue(estimate.summary.hasPrefix(
            "dynamics: V = 50000, d = 256, 2048 contexts (2048 in training pairs), 128 sequences, 64 training pairs: about 7.4 GiB"),
            estimate.summary)
    }

    func testARunThatCannotFitIsRefusedWithASentenceSayingWhatToChange() throws {
        let fits = RunCostEstimate(run: .analyze, shape: shape(vocabulary: 64, width: 16, contexts: 20_000, pairs: 2_500))
        XCTAssertNoThrow(try fits.checkFits())
        let huge = RunCostEstimate(run: allKinds, shape: shape(vocabulary: 50_000, width: 256, contexts: 20_484, pairs: 640))
        XCTAssertGreaterThan(huge.peakBytes, RunCostEstimate.defaultLimitBytes)
        XCTAssertThrowsError(try huge.checkFits()) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("this dynamics run needs about "), message)
            XCTAssertTrue(message.contains("more than the 24.0 GiB allowed"), message)
            XCTAssertTrue(message.contains(" x V), 7.6 GiB)"), "names the largest part, a logits-sized matrix: \(message)")
            XCTAssertTrue(message.contains("fewer reward models in one run"), message)
            XCTAssertFalse(message.contains("\n"))
        }
        XCTAssertThrowsError(try fits.checkFits(limitBytes: 1 << 20), "a lower limit refuses it")
        XCTAssertEqual(RunCostEstimate.gibibytes(3 << 29), "1.5 GiB")
        XCTAssertEqual(RunCostEstimate.gibibytes(300 << 20), "300 MiB")
    }
}
