import LinearAlgebra
import RewardDynamics
import Tasks
import TestSupport
import XCTest

final class SingleTokenShiftTaskTests: XCTestCase {
    func testStructureMatchesAssumptionTwo() throws {
        for seed: UInt64 in 0..<3 {
            var task = SingleTokenShiftTask()
            task.seed = seed
            let instance = try task.make()
            XCTAssertEqual(instance.evaluationSets.map(\.name), ["train", "test", "paraphrase", "paraphrase_test"])
            XCTAssertEqual(instance.train.count, task.trainPrompts)
            let trainTokens = Set(task.trainAnswerTokens)
            let unseenTokens = Set(task.unseenAnswerTokens)
            for set in instance.evaluationSets {
                for pair in set.pairs {
                    let chosen = instance.sequences[pair.chosen]!
                    let rejected = instance.sequences[pair.rejected]!
                    XCTAssertEqual(chosen.length, 1)
                    XCTAssertEqual(rejected.length, 1)
                    // One shared prompt context, bit for bit.
                    XCTAssertEqual(chosen.hidden.row(0), rejected.hidden.row(0))
                    let expected = set.name.hasPrefix("paraphrase") ? unseenTokens : trainTokens
                    XCTAssertTrue(expected.contains(chosen.tokens[0]) && expected.contains(rejected.tokens[0]), set.name)
                }
            }
            // Training answers: agree tokens chosen, disagree tokens rejected.
            for pair in instance.train {
                XCTAssertLessThan(instance.sequences[pair.chosen]!.tokens[0], task.answersPerStance)
                XCTAssertGreaterThanOrEqual(instance.sequences[pair.rejected]!.tokens[0], task.answersPerStance)
            }
        }
    }

    func testSameSeedSameInstanceAndAlignmentMovesOnlyUnseenMeanings() throws {
        let first = try SingleTokenShiftTask().make()
        let second = try SingleTokenShiftTask().make()
        XCTAssertEqual(first.sequenceIDs, second.sequenceIDs)
        for id in first.sequenceIDs { XCTAssertEqual(first.sequences[id], second.sequences[id]) }
        var other = SingleTokenShiftTask()
        other.alignment = 0.2
        let shifted = try other.make()
        // Same random draws, so training sequences are unchanged and paraphrases differ.
        XCTAssertEqual(shifted.sequences["train/p0/chosen"], first.sequences["train/p0/chosen"])
        XCTAssertNotEqual(shifted.sequences["paraphrase/p0/chosen"], first.sequences["paraphrase/p0/chosen"])
    }

    func testInvalidSettingsThrow() {
        var task = SingleTokenShiftTask()
        task.alignment = 1.5
        XCTAssertThrowsError(try task.make())
        task = SingleTokenShiftTask()
        task.vocabularySize = 3
        XCTAssertThrowsError(try task.make())
        task = SingleTokenShiftTask()
        task.promptSharing = -0.1
        XCTAssertThrowsError(try task.make())
    }
}
