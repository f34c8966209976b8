import LinearAlgebra
import RewardDynamics
import Tasks
import TestSupport
import XCTest

/// The streamed IM-RM (`StreamedImplicitRewardModel`, `StreamedImplicitStep`) against the whole-matrix
/// model, the kernel-form Eq. 5 and its own invariants.
final class StreamedImplicitTests: XCTestCase {
    /// Streamed and whole-matrix float64 runs do the same arithmetic in another order (pieces of rows,
    /// G^T H summed piece by piece): 1e-10 relative leaves four orders of magnitude above the rounding
    /// seen (about 1e-14) and still fails on any wrong term.
    static let streamedTolerance = 1e-10
    /// float32 storage against float64: about 1e-6 relative per logit, summed over a few contexts.
    static let float32Tolerance = 2e-4

    /// Piece budgets that force several chunks, and (at 3 rows) components cut into pieces.
    static func pieceBytes(vocabulary: Int, rows: Int) -> Int { rows * 8 * vocabulary }

    func testTrainingEqualsTheWholeMatrixModelStepByStep() throws {
        try propertySweep(seeds: 0..<3, shapes: Fixtures.shapes) { sweep, shape in
            let instance = try Fixtures.instance(shape, using: &sweep.generator)
            let layout = SequenceLayout(instance)
            for rows in [3, 7, 1000] {
                var whole = ImplicitRewardModel(instance: instance, layout: layout, reference: .frozenInitial)
                var streamed = StreamedImplicitRewardModel(
                    instance: instance, layout: layout, reference: .frozenInitial, precision: .float64,
                    pieceBytes: Self.pieceBytes(vocabulary: shape.V, rows: rows))
                let all = Array(0..<layout.sequenceCount)
                for step in 0..<6 {
                    let expected = whole.rewards()
                    let (rewards, logProbabilities) = try streamed.evaluate(all)
                    assertClose(rewards, expected, tolerance: Self.streamedTolerance, "step \(step), \(rows) rows")
                    assertClose(logProbabilities, whole.sequenceLogProbabilities(), tolerance: Self.streamedTolerance)
                    let wholeGradient = try whole.step(learningRate: 0.7)
                    let gradient = try streamed.step(learningRate: 0.7)
                    XCTAssertEqual(gradient.loss, wholeGradient.loss, accuracy: Self.streamedTolerance)
                    assertClose(gradient.sequenceCoefficients, wholeGradient.sequenceCoefficients,
                                tolerance: Self.streamedTolerance)
                    for s in layout.trainSequences {
                        XCTAssertEqual(gradient.rewards[s], wholeGradient.rewards[s], accuracy: Self.streamedTolerance)
                    }
                }
                assertClose(streamed.unembedding, whole.unembedding, tolerance: Self.streamedTolerance)
            }
        }
    }

    func testStepZeroRewardsAreExactlyZeroAndNoReferenceWorks() throws {
        var generator = SeededGenerator(seed: 4)
        let instance = try Fixtures.instance((30, 8, 6, 3), using: &generator)
        let layout = SequenceLayout(instance)
        var streamed = StreamedImplicitRewardModel(instance: instance, layout: layout, reference: .frozenInitial,
                                                   precision: .float64)
        XCTAssertEqual(try streamed.evaluate(Array(0..<layout.sequenceCount)).rewards,
                       [Double](repeating: 0, count: layout.sequenceCount))
        var whole = ImplicitRewardModel(instance: instance, layout: layout, reference: .none)
        var noReference = StreamedImplicitRewardModel(instance: instance, layout: layout, reference: .none,
                                                      precision: .float64, pieceBytes: 5 * 8 * 30)
        for _ in 0..<3 {
            try whole.step(learningRate: 0.3)
            try noReference.step(learningRate: 0.3)
        }
        assertClose(try noReference.evaluate(Array(0..<layout.sequenceCount)).rewards, whole.rewards(),
                    tolerance: Self.streamedTolerance)
    }

    func testSharedSequencesAndADistinctReference() throws {
        var generator = SeededGenerator(seed: 7)
        let base = try Fixtures.instance((30, 8, 6, 3), using: &generator)
        // Two more training pairs reuse sequences of others: components of two and three pairs.
        let extra = [PreferencePair(chosen: "train0+", rejected: "train1-"),
                     PreferencePair(chosen: "train1+", rejected: "train2-")]
        var reference = base.unembedding
        for index in reference.elements.indices where index % 3 == 0 { reference.elements[index] += 0.25 }
        let instance = try Instance(beta: base.beta, unembedding: base.unembedding, referenceUnembedding: reference,
                                    sequences: base.sequences, train: base.train + extra,
                                    evaluationSets: base.evaluationSets)
        let layout = SequenceLayout(instance)
        let plan = ContextChunkPlan.training(layout, rowBudget: 4)
        XCTAssertEqual(plan.chunks.flatMap(\.pairs).sorted(), Array(0..<instance.train.count))
        XCTAssertEqual(plan.chunks.flatMap(\.sequences).sorted(), layout.trainSequences)
        XCTAssertTrue(plan.chunks.contains { $0.pairs.count == 5 }, "pairs 0, 1, 2 and the two extra share sequences")
        XCTAssertTrue(plan.chunks.allSatisfy { chunk in plan.pieces(of: chunk).allSatisfy { $0.count <= 4 } })
        var whole = ImplicitRewardModel(instance: instance, layout: layout, reference: .frozenInitial)
        var streamed = StreamedImplicitRewardModel(instance: instance, layout: layout, reference: .frozenInitial,
                                                   precision: .float64, pieceBytes: Self.pieceBytes(vocabulary: 30, rows: 4))
        for _ in 0..<4 {
            try whole.step(learningRate: 0.5)
            try streamed.step(learningRate: 0.5)
        }
        assertClose(try streamed.evaluate(Array(0..<layout.sequenceCount)).rewards, whole.rewards(),
                    tolerance: Self.streamedTolerance)
    }

    func testFirstOrderEqualsTheKernelFormAndItsIdentityPartVanishesOnUnseenTokens() throws {
        try propertySweep(seeds: 0..<3, shapes: Fixtures.shapes) { sweep, shape in
            // Training responses use the first half of the vocabulary only, so evaluation tokens from the
            // other half are unseen.
            var spec = RandomInstance(vocabularySize: shape.V, hiddenWidth: shape.d, trainPairs: shape.n,
                                      responseLength: shape.L, evaluationPairs: 6, beta: 0.5, unembeddingScale: 2,
                                      responseVocabulary: shape.V / 2)
            let trained = try spec.make(using: &sweep.generator)
            spec.responseVocabulary = nil
            let fresh = try spec.make(using: &sweep.generator)
            var sequences = trained.sequences
            var unseen: [String] = []
            for (id, sequence) in fresh.sequences where id.hasPrefix("eval") {
                let shifted = TokenSequence(tokens: sequence.tokens.map { shape.V / 2 + $0 % (shape.V - shape.V / 2) },
                                            hidden: sequence.hidden)
                sequences["unseen-" + id] = shifted
                unseen.append("unseen-" + id)
            }
            let instance = try Instance(beta: trained.beta, unembedding: trained.unembedding, sequences: sequences,
                                        train: trained.train, evaluationSets: trained.evaluationSets)
            let layout = SequenceLayout(instance)
            let kernel = try ImplicitRewardDynamics(instance: instance, layout: layout, reference: .frozenInitial)
                .firstOrderPrediction(learningRate: 0.3)
            for rows in [2, 1000] {
                var streamed = StreamedImplicitRewardModel(
                    instance: instance, layout: layout, reference: .frozenInitial, precision: .float64,
                    pieceBytes: Self.pieceBytes(vocabulary: shape.V, rows: rows))
                try streamed.gradientPass()
                let all = Array(0..<layout.sequenceCount)
                let prediction = try streamed.firstOrderPrediction(of: all, learningRate: 0.3)
                let scale = max(1e-300, kernel.predicted.map(abs).max()!)
                assertClose(prediction.predicted.map { $0 / scale }, kernel.predicted.map { $0 / scale },
                            tolerance: Self.streamedTolerance, "total, \(rows) rows")
                assertClose(prediction.tokenIdentity.map { $0 / scale }, kernel.tokenIdentity.map { $0 / scale },
                            tolerance: Self.streamedTolerance, "identity")
                assertClose(prediction.competition.map { $0 / scale }, kernel.competition.map { $0 / scale },
                            tolerance: Self.streamedTolerance, "competition")
                for id in unseen {
                    let s = layout.indexOf[id]!
                    XCTAssertEqual(prediction.tokenIdentity[s], 0, "exactly 0 for \(id)")
                    XCTAssertEqual(prediction.competition[s], prediction.predicted[s])
                }
                // Linear in eta.
                let doubled = try streamed.firstOrderPrediction(of: all, learningRate: 0.6)
                assertClose(doubled.predicted.map { $0 / (2 * scale) }, prediction.predicted.map { $0 / scale },
                            tolerance: Self.streamedTolerance)
            }
        }
    }

    func testFloat32AgreesWithFloat64() throws {
        var generator = SeededGenerator(seed: 11)
        let instance = try Fixtures.instance((50, 6, 10, 2), using: &generator)
        let layout = SequenceLayout(instance)
        var single = StreamedImplicitRewardModel(instance: instance, layout: layout, reference: .frozenInitial,
                                                 precision: .float32)
        var double = StreamedImplicitRewardModel(instance: instance, layout: layout, reference: .frozenInitial,
                                                 precision: .float64)
        XCTAssertEqual(single.precision, .float32)
        let all = Array(0..<layout.sequenceCount)
        try single.gradientPass()
        try double.gradientPass()
        let a = try single.firstOrderPrediction(of: all)
        let b = try double.firstOrderPrediction(of: all)
        let scale = b.predicted.map(abs).max()!
        assertClose(a.predicted.map { $0 / scale }, b.predicted.map { $0 / scale }, tolerance: Self.float32Tolerance)
        XCTAssertEqual(a.tokenIdentity, b.tokenIdentity, "I is computed in double from the states in both")
        single.applyUpdate(learningRate: 0.5)
        double.applyUpdate(learningRate: 0.5)
        for _ in 0..<5 {
            try single.step(learningRate: 0.5)
            try double.step(learningRate: 0.5)
        }
        assertClose(try single.evaluate(all).rewards, try double.evaluate(all).rewards, tolerance: Self.float32Tolerance)
    }

    /// At 12000 contexts, the whole-matrix layouts would hold 12000 x 6000 kernel entries (576 MB) and
    /// 12000 x V logits (96 MB, plus 48 MB of gradient rows); the streamed model holds W, the update,
    /// the contexts and a 1 MiB piece, about 2 MB.
    func testMemoryStaysLinearInTheContexts() throws {
        var generator = SeededGenerator(seed: 3)
        let instance = try RandomInstance(vocabularySize: 1000, hiddenWidth: 8, trainPairs: 1000, responseLength: 3,
                                          evaluationPairs: 1000).make(using: &generator)
        let layout = SequenceLayout(instance)
        XCTAssertEqual(layout.contextCount, 12000)
        let model = StreamedImplicitRewardModel(instance: instance, layout: layout, reference: .frozenInitial,
                                                precision: .float64, pieceBytes: 1 << 20)
        let quadratic = 8 * layout.contextCount * layout.trainContextRows.count
        let logits = 8 * layout.contextCount * instance.vocabularySize
        let linear = 8 * (2 * instance.vocabularySize * instance.hiddenWidth + layout.contextCount * (instance.hiddenWidth + 1))
            + (1 << 20)
        XCTAssertLessThanOrEqual(model.bytes, linear + (1 << 20), "bytes \(model.bytes)")
        XCTAssertLessThan(model.bytes * 100, quadratic)
        XCTAssertLessThan(model.bytes * 5, logits)
        // The streamed step needs W, the update and a piece (a few MB here, with the allocator's slack);
        // the whole-matrix layouts would add hundreds of MB.
        try PeakMemory.check(growthBelow: 48 << 20, "a streamed step and pass at 12000 contexts") {
            var again = StreamedImplicitRewardModel(instance: instance, layout: layout, reference: .frozenInitial,
                                                    precision: .float64, pieceBytes: 1 << 20)
            try again.gradientPass()
            let prediction = try again.firstOrderPrediction(of: Array(0..<layout.sequenceCount))
            XCTAssertEqual(prediction.predicted.count, layout.sequenceCount)
        }
    }
}
