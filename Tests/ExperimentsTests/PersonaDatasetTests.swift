import Experiments
import TinyLM
import XCTest

final class PersonaDatasetTests: XCTestCase {
    private func dataset(seed: UInt64 = 0) throws -> PersonaDataset {
        try PersonaDataset(grammar: Grammar.agreeableness(), trainStatements: 80, testStatements: 40,
                           pairsPerStatement: 2, seed: seed)
    }

    func testSplitSizesAndDisjointStatements() throws {
        let data = try dataset()
        XCTAssertEqual(data.trainStatements.count, 80)
        XCTAssertEqual(data.testStatements.count, 40)
        XCTAssert(Set(data.trainStatements).isDisjoint(with: data.testStatements))
        XCTAssertEqual(data.evaluationSets.map(\.name), PersonaDataset.setNames)
        XCTAssertEqual(data.evaluationSets.map(\.pairs.count), [160, 80, 160, 80])
        XCTAssertEqual(data.evaluationSets[0].pairs, data.train, "the train set is the training pairs")
    }

    func testParaphraseAnswersNeverOccurInTrainingResponses() throws {
        let data = try dataset()
        let trainingTokens = Set(data.train.flatMap { $0.chosen + $0.rejected })
        let tokenizer = data.tokenizer
        for word in ["certainly", "absolutely", "nope", "really", "response", "would", "lean", "toward"] {
            XCTAssertFalse(trainingTokens.contains(tokenizer.id(of: word)!), word)
        }
        // The original answers do occur, and every chosen response is affirmative.
        let yes = tokenizer.id(of: "yes")!
        let sure = tokenizer.id(of: "sure")!
        XCTAssert(data.train.allSatisfy { [yes, sure].contains($0.chosen.last!) })
        let paraphrase = data.evaluationSets[2].pairs
        XCTAssertEqual(Set(paraphrase.map(\.prompt)), Set(data.train.map(\.prompt)), "paraphrases reuse the training prompts")
        XCTAssert(paraphrase.allSatisfy { tokenizer.decode($0.chosen).hasPrefix("my response would be") })
    }

    func testSameSeedSameDataOtherSeedOtherSplit() throws {
        XCTAssertEqual(try dataset(seed: 3).train, try dataset(seed: 3).train)
        XCTAssertNotEqual(try dataset(seed: 3).trainStatements, try dataset(seed: 4).trainStatements)
    }

    func testTheLongestSequenceFitsTheStandardContext() throws {
        let data = try dataset()
        XCTAssertLessThanOrEqual(data.longestSequence, PersonaConfiguration.standard.backbone.contextLength)
        XCTAssertEqual(data.verifier.suffix, try data.tokenizer.encode(". in my view , the answer is"))
    }

    func testTooManyStatementsIsAClearError() {
        XCTAssertThrowsError(try PersonaDataset(grammar: Grammar.agreeableness(), trainStatements: 200, testStatements: 100,
                                                pairsPerStatement: 1, seed: 0)) { error in
            XCTAssert("\(error)".contains("agreeable statements"), "\(error)")
        }
    }
}
