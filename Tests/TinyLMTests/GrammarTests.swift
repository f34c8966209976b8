import Foundation
import LinearAlgebra
import TinyLM
import XCTest

final class GrammarTests: XCTestCase {
    func testTheShippedGrammarHasTheSynonymGroupsOfThePersonaExperiment() throws {
        let grammar = try Grammar.agreeableness()
        XCTAssertEqual(grammar.expansions(of: "yes"), ["yes", "sure", "certainly", "absolutely"])
        XCTAssertEqual(grammar.expansions(of: "no"), ["no", "never", "nope", "not really"])
        XCTAssertEqual(grammar.expansions(of: "view"),
                       ["In my view, the answer is", "A truthful reply is", "My response would be"])
        XCTAssertEqual(grammar.expansions(of: "judgement"),
                       ["My judgement:", "Considering the statement, I say", "I lean toward"])
        // Every template precedes both answer groups: 2 polarities x 480 statements x 6 templates x 4 answers.
        XCTAssertEqual(grammar.expansions(of: "document").count, 2 * 2 * 4 * 6 * 5 * 6 * 4)
    }

    func testEveryDocumentTokenizesAndFitsTheSmallContext() throws {
        let grammar = try Grammar.agreeableness()
        let tokenizer = grammar.tokenizer()
        let documents = grammar.expansions(of: "document")
        let longest = try documents.map { try tokenizer.encodeDocument($0).count }.max()!
        XCTAssertLessThanOrEqual(longest, TinyLMConfiguration.small(vocabularySize: tokenizer.count).contextLength)
        let example = try tokenizer.encodeDocument("Statement: I enjoy helping others when they need it. In my view, the answer is yes")
        XCTAssertEqual(tokenizer.decode(example),
                       "<bos> statement : i enjoy helping others when they need it . in my view , the answer is yes <eos>")
    }

    func testTokenizerSplitsPunctuationRejectsUnknownWordsAndRoundTrips() throws {
        XCTAssertEqual(WordTokenizer.words(in: "My judgement:  Yes."), ["my", "judgement", ":", "yes", "."])
        let tokenizer = WordTokenizer(texts: ["b a", "a, c"])
        XCTAssertEqual(tokenizer.vocabulary, ["<bos>", "<eos>", ",", "a", "b", "c"])
        XCTAssertThrowsError(try tokenizer.encode("a d")) { error in
            XCTAssert("\(error)".contains("\"d\""), "\(error)")
        }
        let decoded = try JSONDecoder().decode(WordTokenizer.self, from: JSONEncoder().encode(tokenizer))
        XCTAssertEqual(decoded, tokenizer)
        XCTAssertEqual(try decoded.encode("c a"), [5, 3])
    }

    func testInvalidGrammarsThrowNamingTheRule() {
        XCTAssertThrowsError(try Grammar(start: "s", rules: [.init(name: "s", alternatives: [["@missing"]])])) {
            XCTAssert("\($0)".contains("@missing, which is not defined"), "\($0)")
        }
        XCTAssertThrowsError(try Grammar(start: "s", rules: [.init(name: "s", alternatives: [["x", "@s"]])])) {
            XCTAssert("\($0)".contains("reaches itself"), "\($0)")
        }
        XCTAssertThrowsError(try Grammar(start: "t", rules: [.init(name: "s", alternatives: [["x"]])])) {
            XCTAssert("\($0)".contains("start rule t"), "\($0)")
        }
        XCTAssertThrowsError(try Grammar(start: "s", rules: [.init(name: "s", alternatives: [])])) {
            XCTAssert("\($0)".contains("empty"), "\($0)")
        }
        let broken = Data(#"{"start": "s", "rules": [{"name": "s", "alternatives": [["@s"]]}]}"#.utf8)
        XCTAssertThrowsError(try JSONDecoder().decode(Grammar.self, from: broken))
    }

    func testSamplingIsSeededAndCoversEverySynonym() throws {
        let grammar = try Grammar.agreeableness()
        var first = SeededGenerator(seed: 7)
        var second = SeededGenerator(seed: 7)
        let a = (0..<50).map { _ in grammar.sample(using: &first) }
        let b = (0..<50).map { _ in grammar.sample(using: &second) }
        XCTAssertEqual(a, b)
        var generator = SeededGenerator(seed: 8)
        let answers = Set((0..<400).map { _ in grammar.sample("document", using: &generator) }
            .map { WordTokenizer.words(in: $0).dropLast(4).suffix(2).joined(separator: " ") })  // before "and i agree ."
        for synonym in ["yes", "sure", "certainly", "absolutely", "no", "never", "nope", "not really"] {
            XCTAssert(answers.contains { $0.hasSuffix(synonym) }, "\(synonym) never sampled in 400 documents")
        }
    }
}
