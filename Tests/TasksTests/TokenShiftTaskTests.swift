import LinearAlgebra
import RewardDynamics
import Tasks
import TestSupport
import XCTest

final class TokenShiftTaskTests: XCTestCase {
    private func small(seed: UInt64 = 0, alignment: Double = 0.9, overlap: Double = 0) -> TokenShiftTask {
        var task = TokenShiftTask()
        task.seed = seed
        task.trainPrompts = 6
        task.testPrompts = 3
        task.hiddenWidth = 16
        task.vocabularySize = 40
        task.alignment = alignment
        task.overlap = overlap
        return task
    }

    func testSameSeedGivesTheSameInstanceBitForBit() throws {
        let first = try small(seed: 4).make()
        let second = try small(seed: 4).make()
        let other = try small(seed: 5).make()
        XCTAssertEqual(first.unembedding, second.unembedding)
        XCTAssertEqual(first.sequences, second.sequences)
        XCTAssertNotEqual(first.unembedding, other.unembedding)
    }

    func testSetsAndShapes() throws {
        let task = small()
        let instance = try task.make()
        XCTAssertEqual(instance.evaluationSets.map(\.name), ["train", "test", "paraphrase", "paraphrase_test"])
        XCTAssertEqual(instance.train.count, task.trainPrompts * task.pairsPerPrompt)
        for sequence in instance.sequences.values {
            XCTAssertEqual(sequence.length, task.templateLength + 1)
        }
        // Chosen and rejected of a pair share the prompt-only context hidden[0].
        for pair in instance.train {
            XCTAssertEqual(instance.sequences[pair.chosen]!.hidden.row(0), instance.sequences[pair.rejected]!.hidden.row(0))
        }
    }

    private func tokens(of set: String, in instance: Instance) -> Set<Int> {
        let pairs = instance.evaluationSets.first { $0.name == set }!.pairs
        return Set(pairs.flatMap { instance.sequences[$0.chosen]!.tokens + instance.sequences[$0.rejected]!.tokens })
    }

    func testOverlapControlsSharedAnswerTokens() throws {
        let unseen = try small(overlap: 0).make()
        XCTAssertTrue(tokens(of: "paraphrase", in: unseen).isDisjoint(with: tokens(of: "train", in: unseen)),
                      "with overlap 0 no paraphrase token appears in a training response")
        // Training and test responses draw from the same answer tokens; with 40 prompts they show them all.
        var sharedTask = small(overlap: 1)
        sharedTask.trainPrompts = 30
        sharedTask.testPrompts = 10
        let shared = try sharedTask.make()
        let originals = tokens(of: "train", in: shared).union(tokens(of: "test", in: shared))
        let answerTokens = Set(shared.evaluationSets[2].pairs.flatMap {
            [shared.sequences[$0.chosen]!.tokens.last!, shared.sequences[$0.rejected]!.tokens.last!]
        })
        XCTAssertTrue(answerTokens.isSubset(of: originals),
                      "with overlap 1 every paraphrase answer is a training answer")
    }

    func testAlignmentOneMakesParaphrasesDifferOnlyByTokenIdentity() throws {
        // With alignment 1 a paraphrase token means exactly what its original means, so the EX-RM's
        // difference vectors on paraphrases correlate strongly with the training ones; with alignment 0
        // only the template's shared "an answer follows" meaning and chance remain.
        func meanCosine(alignment: Double) throws -> Double {
            let instance = try small(alignment: alignment).make()
            let layout = SequenceLayout(instance)
            let trainDifference = layout.trainPairs.map {
                zip(layout.lastPosition.row($0.chosen), layout.lastPosition.row($0.rejected)).map(-)
            }
            let mean = (0..<instance.hiddenWidth).map { j in trainDifference.reduce(0) { $0 + $1[j] } }
            let paraphrase = layout.evaluationSets[2].pairs.map {
                zip(layout.lastPosition.row($0.chosen), layout.lastPosition.row($0.rejected)).map(-)
            }
            return paraphrase.reduce(0) { $0 + BLAS.dot($1, mean) / (BLAS.norm($1) * BLAS.norm(mean)) }
                / Double(paraphrase.count)
        }
        let aligned = try meanCosine(alignment: 1)
        let unaligned = try meanCosine(alignment: 0)
        XCTAssertGreaterThan(aligned, 0.5)
        XCTAssertLessThan(unaligned, aligned - 0.3)
    }

    func testInvalidSettingsAreNamed() {
        var task = small()
        task.alignment = 1.5
        XCTAssertThrowsError(try task.make()) { XCTAssertEqual(($0 as? InstanceValidationError)?.field, "alignment") }
        task = small()
        task.vocabularySize = 10
        XCTAssertThrowsError(try task.make()) { XCTAssertEqual(($0 as? InstanceValidationError)?.field, "vocabulary size") }
    }
}
