import Experiments
import Foundation
import LinearAlgebra
import TheorycheckCore
import TinyLM
import XCTest

/// The nested grid of `PersonaSensitivityExperiment` against separate runs, the similarity measure's
/// invariants, and determinism, at the quick sizes (seconds in a debug build).
final class PersonaSensitivityExperimentTests: XCTestCase {
    private func study(pretrainingSteps: [Int] = [0, 2, 4], epochs: [Int] = [1, 2], threads: Int = 1) throws
        -> PersonaSensitivityResult
    {
        var configuration = PersonaSensitivityConfiguration.quick
        configuration.pretrainingSteps = pretrainingSteps
        configuration.epochs = epochs
        configuration.base.threads = threads
        return try PersonaSensitivityExperiment(configuration: configuration, grammar: Grammar.agreeableness()).run()
    }

    func testAPretrainingSnapshotIsBitIdenticalToAFreshRunOfThatLength() throws {
        let grammar = try Grammar.agreeableness()
        var configuration = PretrainingConfiguration.quick
        configuration.steps = 7
        let corpus = try PretrainingCorpus(grammar: grammar, configuration: configuration)
        let initial = try TinyLM(configuration: .tiny(vocabularySize: corpus.tokenizer.count), seed: 4)
        let long = try Pretraining.run(model: initial, corpus: corpus, configuration: configuration, snapshotsAt: [0, 3, 7])
        XCTAssertEqual(long.snapshots.map(\.steps), [0, 3, 7])
        XCTAssertEqual(long.snapshots[0].model.parameters, initial.parameters, "step 0 is the initial model")
        XCTAssertEqual(long.snapshots[0].heldOutLoss, long.heldOutLossBefore)
        XCTAssertEqual(long.snapshots[2].model.parameters, long.model.parameters, "the last snapshot is the final model")
        var shorter = configuration
        shorter.steps = 3
        let fresh = try Pretraining.run(model: initial, corpus: corpus, configuration: shorter)
        XCTAssertEqual(long.snapshots[1].model.parameters, fresh.model.parameters, "bit-identical to 3 steps run alone")
        XCTAssertEqual(long.snapshots[1].heldOutLoss, fresh.heldOutLossAfter)
        XCTAssertEqual(Array(long.trainingLosses.prefix(3)), fresh.trainingLosses)
        XCTAssertThrowsError(try Pretraining.run(model: initial, corpus: corpus, configuration: shorter, snapshotsAt: [4])) {
            XCTAssert("\($0)".contains("outside the run's 0...3 steps"), "\($0)")
        }
    }

    func testEveryCellEqualsASeparatePersonaRunOfThatManyStepsAndEpochs() throws {
        let result = try study()
        let grammar = try Grammar.agreeableness()
        // The cell (2 pretraining steps, 1 epoch) against Persona run alone: its own pretraining of 2 steps
        // (no snapshots), its own reward training of 1 epoch.
        var persona = PersonaConfiguration.quick
        persona.backbone.pretraining.steps = 2
        persona.epochs = 1
        for seed in PersonaConfiguration.quick.seeds {
            let (_, alone) = try PersonaExperiment(configuration: persona, grammar: grammar).runSeed(seed)
            for run in alone {
                let cell = result.runs(run.type, pretrainingSteps: 2).first { $0.seed == seed }!
                for set in PersonaDataset.setNames {
                    XCTAssertEqual(cell.metrics(set, epoch: 1), run.final[set], "seed \(seed), \(run.type.rawValue), \(set)")
                }
                XCTAssertEqual(cell.epochLosses[0], run.losses.reduce(0, +) / Double(run.losses.count))
            }
        }
        // Epoch checkpoints: the first epoch of a 2-epoch run is the whole of a 1-epoch run.
        let oneEpoch = try study(epochs: [1])
        for run in oneEpoch.runs {
            let longer = result.runs(run.type, pretrainingSteps: run.pretrainingSteps).first { $0.seed == run.seed }!
            XCTAssertEqual(longer.checkpoints.prefix(2), run.checkpoints[...], "\(run.type.rawValue) after \(run.pretrainingSteps)")
            XCTAssertEqual(longer.epochLosses.prefix(1), run.epochLosses[...])
        }
        XCTAssertEqual(oneEpoch.backbones, result.backbones, "the backbones do not depend on the epoch grid")
    }

    func testTheGridHasEveryCellAndTheSimilarityIsACosine() throws {
        let result = try study()
        let configuration = result.configuration
        XCTAssertEqual(result.backbones.count, configuration.base.seeds.count * 3)
        XCTAssertEqual(result.runs.count, configuration.base.seeds.count * 3 * RewardModelKind.allCases.count)
        XCTAssertEqual(configuration.evaluatedEpochs, [0, 1, 2])
        for run in result.runs {
            XCTAssertEqual(run.checkpoints.map(\.epoch), [0, 1, 2])
            XCTAssertEqual(run.epochLosses.count, 2)
            XCTAssertEqual(run.rewardSplits.map(\.epoch), run.type.isImplicit ? [0, 1, 2] : [])
        }
        for backbone in result.backbones {
            for view in RepresentationSimilarity.views {
                for centered in [false, true] {
                    let cosines = backbone.similarity.view(view.name).cosines(centered: centered)
                    for value in [cosines.sameStance, cosines.oppositeStance, cosines.agreeVersusDisagree] {
                        XCTAssert((-1...1).contains(value), "\(view.name), centered \(centered): \(value)")
                    }
                    XCTAssertEqual(cosines.stanceGap, cosines.sameStance - cosines.oppositeStance)
                }
            }
        }
        // Step 0 is the random backbone: identical for the same seed whatever the grid.
        let other = try study(pretrainingSteps: [0], epochs: [1])
        XCTAssertEqual(other.backbones(pretrainingSteps: 0), result.backbones(pretrainingSteps: 0))
    }

    func testTheImplicitRewardSplitAddsUpToTheReward() throws {
        let grammar = try Grammar.agreeableness()
        let persona = try PersonaExperiment(configuration: .quick, grammar: grammar)
        let dataset = try persona.dataset(seed: 0)
        let (pretrained, _) = try persona.pretrain(seed: 0)
        let paraphrase = dataset.evaluationSets.first { $0.name == "paraphrase" }!.pairs
        for type in RewardModelKind.allCases {
            var checked = 0
            _ = try persona.trainRewardModel(type, backbone: pretrained.model, dataset: dataset, seed: 0, totalSteps: 3,
                                             checkpoints: [3]) { step, model in
                let split = try ImplicitRewardSplit.measure(model, pairs: paraphrase, responses: dataset.responses)
                guard type.isImplicit else {
                    XCTAssertNil(split, "\(type.rawValue) has no implicit reward to split")
                    return
                }
                let whole = try model.metrics(on: paraphrase)
                let parts = try XCTUnwrap(split)
                if step == 0 && type == .implicit {
                    XCTAssertEqual(parts.template.meanChosenReward, 0, "p = p_ref at step 0")
                    XCTAssertEqual(parts.answer.meanRejectedReward, 0)
                    XCTAssertEqual(parts.firstToken.meanMargin, 0)
                }
                // Two sums of the same terms in different groupings: equal to rounding (rewards are ~1e-2).
                XCTAssertEqual(parts.template.meanChosenReward + parts.answer.meanChosenReward, whole.meanChosenReward,
                               accuracy: 1e-13, "\(type.rawValue) at step \(step)")
                XCTAssertEqual(parts.template.meanMargin + parts.answer.meanMargin, whole.meanMargin, accuracy: 1e-13)
                checked += 1
            }
            XCTAssertEqual(checked, type.isImplicit ? 2 : 0, "steps 0 and 3")
        }
    }

    func testCosineIsOneForIdenticalInputsAndSymmetric() {
        var generator = SeededGenerator(seed: 11)
        func vector() -> [Double] { (0..<16).map { _ in Double.random(in: -1...1, using: &generator) } }
        for _ in 0..<20 {
            let a = vector()
            let b = vector()
            // cos(a, a) = <a, a> / (sqrt<a, a>)^2: one rounding in the square root, so within a few ulps of 1.
            XCTAssertEqual(RepresentationSimilarity.cosine(a, a), 1, accuracy: 4 * Double.ulpOfOne)
            XCTAssertEqual(RepresentationSimilarity.cosine(a, b), RepresentationSimilarity.cosine(b, a), "exactly symmetric")
            XCTAssertEqual(RepresentationSimilarity.cosine(a.map { 3 * $0 }, b), RepresentationSimilarity.cosine(a, b),
                           accuracy: 8 * Double.ulpOfOne, "scale-free")
            XCTAssert((-1 - 1e-15...1 + 1e-15).contains(RepresentationSimilarity.cosine(a, b)))
        }
        XCTAssertEqual(RepresentationSimilarity.cosine([0, 0], [1, 2]), 0, "no direction, no similarity")
        let first = (0..<3).map { _ in vector() }
        let second = (0..<5).map { _ in vector() }
        // Symmetric up to the order of the 15 terms of the sum.
        XCTAssertEqual(RepresentationSimilarity.meanCosine(first, second), RepresentationSimilarity.meanCosine(second, first),
                       accuracy: 16 * Double.ulpOfOne)
        let direction = vector()
        let same = [1.0, 2, 0.5].map { scale in direction.map { scale * $0 } }
        XCTAssertEqual(RepresentationSimilarity.meanCosine(same, same), 1, accuracy: 8 * Double.ulpOfOne)
        // Centering: the centered vectors sum to 0, and a shared offset added to every vector changes no
        // centered cosine (the offset cancels in the subtraction, up to the rounding of the mean).
        let groups = [first, second]
        let centered = RepresentationSimilarity.centered(groups)
        for index in 0..<16 {
            XCTAssertEqual(centered.joined().map { $0[index] }.reduce(0, +), 0, accuracy: 1e-14)
        }
        let offset = vector().map { 5 * $0 }
        let shifted = RepresentationSimilarity.centered(groups.map { $0.map { zip($0, offset).map(+) } })
        XCTAssertEqual(RepresentationSimilarity.meanCosine(shifted[0], shifted[1]),
                       RepresentationSimilarity.meanCosine(centered[0], centered[1]), accuracy: 1e-12)
    }

    func testSameSeedsGiveTheSameBytesWhateverTheThreadCount() throws {
        let first = try study(pretrainingSteps: [0, 3], epochs: [1])
        let again = try study(pretrainingSteps: [0, 3], epochs: [1])
        let parallel = try study(pretrainingSteps: [0, 3], epochs: [1], threads: 2)
        XCTAssert(try JSONOutput.encode(first) == JSONOutput.encode(again), "same seed, same bytes")
        XCTAssert(first.runs == parallel.runs && first.backbones == parallel.backbones, "the thread count changes nothing")
    }

    func testBadGridsAreClearErrors() throws {
        let grammar = try Grammar.agreeableness()
        func message(_ change: (inout PersonaSensitivityConfiguration) -> Void) -> String {
            var configuration = PersonaSensitivityConfiguration.quick
            change(&configuration)
            do {
                _ = try PersonaSensitivityExperiment(configuration: configuration, grammar: grammar)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        XCTAssert(message { $0.pretrainingSteps = [] }.contains("pretrainingSteps is empty"))
        XCTAssert(message { $0.pretrainingSteps = [5, 2] }.contains("strictly increasing, but 2 follows 5"))
        XCTAssert(message { $0.epochs = [0, 2] }.contains("epochs contains 0"))
        XCTAssert(message { $0.epochs = [2, 2] }.contains("strictly increasing"))
        XCTAssert(message { $0.base.seeds = [] }.contains("no seeds"))
    }
}
