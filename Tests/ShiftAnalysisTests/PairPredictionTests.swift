import LinearAlgebra
import RewardDynamics
import ShiftAnalysis
import Tasks
import TestSupport
import XCTest

final class TokenNoveltyBinTests: XCTestCase {
    func testTheBinsPartitionTheUnitInterval() {
        let cases: [(Double, TokenNoveltyBin)] = [
            (0, .none), (1e-12, .upToQuarter), (0.25, .upToQuarter), (0.25.nextUp, .upToHalf), (0.5, .upToHalf),
            (0.5.nextUp, .upToThreeQuarters), (0.75, .upToThreeQuarters), (0.75.nextUp, .belowOne),
            (1.0.nextDown, .belowOne), (1, .unseen),
        ]
        for (novelty, bin) in cases { XCTAssertEqual(TokenNoveltyBin(novelty: novelty), bin, "\(novelty)") }
        // Every value of a fine grid lands in exactly one bin, and the bins come in order.
        var previous = TokenNoveltyBin.none
        for step in 0...1000 {
            let bin = TokenNoveltyBin(novelty: Double(step) / 1000)
            XCTAssertGreaterThanOrEqual(bin, previous)
            previous = bin
        }
        XCTAssertEqual(TokenNoveltyBin.allCases.count, Set(TokenNoveltyBin.allCases.map(\.label)).count)
    }
}

final class PairPredictionTests: XCTestCase {
    /// The analysis of a shrunk token-shift task with partial overlap, so that pairs spread over bins.
    func analysis(seed: UInt64, alignment: Double = 0.9, overlap: Double = 0.5, steps: Int = 0) throws
        -> (Instance, RepresentationAnalysisResult)
    {
        let instance = try ShiftFixtures.tokenShift(seed: seed, alignment: alignment, overlap: overlap).make()
        var options = AnalysisOptions()
        options.steps = steps
        return (instance, try RepresentationAnalysis.run(on: instance, options: options))
    }

    func testBinsPartitionEachSetAndTheUnseenBinIsTheUnseenGroup() throws {
        try propertySweep(seeds: 0..<3, shapes: [0.0, 0.5, 1.0]) { sweep, overlap in
            let (instance, result) = try analysis(seed: sweep.seed, overlap: overlap)
            let novelty = ResponseTokenNovelty(instance: instance)
            XCTAssertEqual(result.pairs.count, instance.evaluationSets.reduce(0) { $0 + $1.pairs.count })
            for (set, evaluation) in zip(result.sets, instance.evaluationSets) {
                XCTAssertEqual(set.noveltyBins.map(\.bin), TokenNoveltyBin.allCases)
                XCTAssertEqual(set.noveltyBins.reduce(0) { $0 + $1.group.pairs }, set.all.pairs)
                XCTAssertEqual(set.noveltyBins.last!.group.pairs, set.unseen.pairs)
                let rows = result.pairs.filter { $0.set == set.name }
                XCTAssertEqual(rows.map(\.pair), evaluation.pairs)
                for row in rows {
                    XCTAssertEqual(row.isUnseen, novelty.isUnseen(row.pair, in: instance))
                    XCTAssertEqual(row.tokenNovelty, novelty.novelty(row.pair, in: instance))
                    if row.isUnseen {
                        XCTAssertEqual(row.identity, 0, "I is exactly 0 on an unseen pair")
                        XCTAssertEqual(row.identityShare ?? 0, 0)
                    }
                    if let share = row.identityShare { XCTAssertTrue((0...1).contains(share)) }
                    XCTAssertEqual(row.explicitLongRunWinner, row.separatorInnerProduct.map { PredictedWinner(margin: $0) })
                }
                let share = set.all.implicit.predictedPositiveFraction
                XCTAssertEqual(share, NaNPropagating.fraction(rows.map(\.implicitFirstStep)) { $0 > 0 })
            }
        }
    }

    /// The one-step figures agree with `StepAnalysis` (the existing kernel-form step) pair by pair.
    func testFirstStepFiguresMatchTheStepAnalysis() throws {
        let (instance, result) = try analysis(seed: 1)
        let step = try StepAnalysis(instance: instance, learningRate: 1)
        for row in result.pairs {
            let chosen = step.sequences[row.pair.chosen]!
            let rejected = step.sequences[row.pair.rejected]!
            let identity = chosen.implicit.tokenIdentityPart - rejected.implicit.tokenIdentityPart
            let competition = chosen.implicit.competitionPart - rejected.implicit.competitionPart
            let explicit = chosen.explicit.predictedDelta - rejected.explicit.predictedDelta
            let scale = max(1, abs(identity) + abs(competition))
            XCTAssertEqual(row.identity / scale, identity / scale, accuracy: 1e-10)
            XCTAssertEqual(row.competition / scale, competition / scale, accuracy: 1e-10)
            XCTAssertEqual(row.explicitFirstStep, explicit, accuracy: 1e-10 * max(1, abs(explicit)))
        }
    }

    /// T steps of the trained prediction equal the closed forms and the whole-matrix model run as long.
    func testTrainedPredictionEqualsTheSimulators() throws {
        let instance = try ShiftFixtures.tokenShift(seed: 2).make()
        let layout = SequenceLayout(instance)
        var model = StreamedImplicitRewardModel(instance: instance, layout: layout, reference: .frozenInitial,
                                                precision: .float64)
        let gradient = try model.gradientPass()
        let evaluated = Array(0..<layout.sequenceCount)
        let steps = 7
        let trained = try TrainedPrediction.run(instance: instance, layout: layout, implicitModel: &model,
                                                initialGradient: gradient, steps: steps, explicitLearningRate: 0.3,
                                                implicitLearningRate: 2, evaluated: evaluated)
        var explicit = ExplicitRewardDynamics(layout: layout, readout: .lastPosition, initialHead: instance.head)
        var implicit = ImplicitRewardModel(instance: instance, layout: layout, reference: .frozenInitial)
        var halfway: ([Double], [Double]) = ([], [])
        for step in 1...steps {
            try explicit.step(learningRate: 0.3)
            try implicit.step(learningRate: 2)
            if step == trained.halfway { halfway = (explicit.rewards, implicit.rewards()) }
        }
        let implicitRewards = implicit.rewards()
        for pair in layout.evaluationSets.flatMap(\.pairs) {
            let outcome = trained.outcome(for: pair)
            XCTAssertEqual(outcome.explicitMargin, explicit.rewards[pair.chosen] - explicit.rewards[pair.rejected], accuracy: 1e-10)
            XCTAssertEqual(outcome.implicitMargin, implicitRewards[pair.chosen] - implicitRewards[pair.rejected], accuracy: 1e-10)
            XCTAssertEqual(outcome.explicitMarginAtHalfway, halfway.0[pair.chosen] - halfway.0[pair.rejected], accuracy: 1e-10)
            XCTAssertEqual(outcome.implicitMarginAtHalfway, halfway.1[pair.chosen] - halfway.1[pair.rejected], accuracy: 1e-10)
        }
        XCTAssertEqual(trained.checkpoints.map(\.step), [0, 3, 7])
        XCTAssertEqual(trained.initial.explicitLoss, log(2), accuracy: 1e-15)
        XCTAssertEqual(trained.initial.implicitLoss, log(2), accuracy: 1e-15)
        let end = BradleyTerryGradient(rewards: implicitRewards, pairs: layout.trainPairs)
        XCTAssertEqual(trained.final.implicitLoss, end.loss, accuracy: 1e-12)
    }

    /// One step cannot tell apart two backbones (paraphrase meanings aligned 0.9 and 0.1 with the training
    /// answers): the IM-RM's first step lowers every paraphrase margin in both. T steps of training can:
    /// on the weakly aligned one a quarter of the paraphrases stay ranked wrongly.
    func testTheTrainedPredictionDiscriminatesWhereOneStepCannot() throws {
        var accuracies: [Double] = []
        for alignment in [0.9, 0.1] {
            var task = TokenShiftTask()
            task.alignment = alignment
            var options = AnalysisOptions()
            options.steps = 60
            let result = try RepresentationAnalysis.run(on: try task.make(), options: options)
            let paraphrase = try XCTUnwrap(result.sets.first { $0.name == "paraphrase" })
            XCTAssertEqual(paraphrase.all.implicit.predictedPositiveFraction, 0, "alignment \(alignment)")
            accuracies.append(try XCTUnwrap(paraphrase.all.trained).implicit.accuracy)
        }
        XCTAssertEqual(accuracies[0], 1)
        XCTAssertLessThan(accuracies[1], 0.8)
    }

    func testTrustWarnings() throws {
        // Aligned paraphrases, a settled run: nothing to warn about.
        let (_, good) = try analysis(seed: 0, overlap: 0, steps: 40)
        XCTAssertEqual(good.trust.warnings.filter { $0.kind == .weakAlignment }, [])
        // Random states: u* is nearly orthogonal to every evaluation difference.
        var generator = SeededGenerator(seed: 5)
        let random = try RandomInstance(vocabularySize: 30, hiddenWidth: 64, trainPairs: 8, responseLength: 2,
                                        evaluationPairs: 40).make(using: &generator)
        let weak = try RepresentationAnalysis.run(on: random)
        let warning = try XCTUnwrap(weak.trust.warnings.first { $0.kind == .weakAlignment })
        XCTAssertEqual(warning.set, "eval")
        XCTAssertLessThan(abs(warning.value!), PredictionTrust.weakAlignmentCosine)
        XCTAssertFalse(weak.trust.trusted)
        XCTAssertTrue(weak.trust.notes.contains { $0.contains("--steps") })
        // One step at a tiny rate: barely trained.
        var options = AnalysisOptions()
        options.steps = 2
        options.explicitLearningRate = 1e-6
        options.implicitLearningRate = 1e-6
        let barely = try RepresentationAnalysis.run(on: random, options: options)
        XCTAssertEqual(Set(barely.trust.warnings.filter { $0.kind == .barelyTrained }.compactMap(\.model)), ["ex_rm", "im_rm"])
        // Opposite training differences: not separable, and the trained prediction still runs.
        let opposite = try nonSeparable()
        options.steps = 5
        options.explicitLearningRate = nil
        options.implicitLearningRate = nil
        let none = try RepresentationAnalysis.run(on: opposite, options: options)
        XCTAssertFalse(none.maxMargin.separable)
        XCTAssertTrue(none.trust.warnings.contains { $0.kind == .notSeparable })
        XCTAssertNil(none.pairs[0].separatorInnerProduct)
        XCTAssertNotNil(none.pairs[0].trained)
    }

    /// Not settled: a learning rate at which the IM-RM's paraphrase ranking flips between T/2 and T.
    func testARankingStillMovingIsFlagged() throws {
        let instance = try TokenShiftTask().make()
        var flags: [Int: Bool] = [:]
        for steps in [5, 10, 20, 40, 80] {
            var options = AnalysisOptions()
            options.steps = steps
            let result = try RepresentationAnalysis.run(on: instance, options: options)
            let paraphrase = result.sets.first { $0.name == "paraphrase" }!
            let changed = paraphrase.all.trained!.implicit.changedSinceHalfway
            let flagged = result.trust.warnings.contains { $0.kind == .notSettled && $0.set == "paraphrase" }
            XCTAssertEqual(flagged, changed > PredictionTrust.unsettledFraction, "\(steps) steps")
            flags[steps] = flagged
        }
        XCTAssertTrue(flags.values.contains(true), "the flip is caught at some T: \(flags)")
    }

    func nonSeparable() throws -> Instance {
        func sequence(_ token: Int, _ whole: [Double]) -> TokenSequence {
            TokenSequence(tokens: [token], hidden: Matrix(rowVectors: [[1, 0], whole]))
        }
        return try Instance(
            beta: 1, unembedding: Matrix(rowVectors: [[0.1, 0.2], [0.3, -0.1], [-0.2, 0.4], [0.5, 0.1]]),
            sequences: ["a+": sequence(0, [1, 1]), "a-": sequence(1, [0, 0]), "b+": sequence(2, [-1, -1]),
                        "b-": sequence(3, [0, 0])],
            train: [PreferencePair(chosen: "a+", rejected: "a-"), PreferencePair(chosen: "b+", rejected: "b-")],
            evaluationSets: [EvaluationSet(name: "train", pairs: [PreferencePair(chosen: "a+", rejected: "a-")])])
    }
}
