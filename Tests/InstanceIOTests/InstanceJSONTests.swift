import Foundation
@testable import InstanceIO
import LinearAlgebra
import RewardDynamics
import TestSupport
import XCTest

final class InstanceJSONTests: XCTestCase {
    /// The fields of a valid file, in file order, as (name, JSON text of the value).
    static let fields: [(name: String, value: String)] = [
        ("beta", "0.5"),
        ("unembedding", "[[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]"),
        ("sequences", """
            {
                "s1": {"tokens": [0, 1], "hidden": [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]},
                "s2": {"tokens": [2], "hidden": [[1, 1, 1, 1], [2, 2, 2, 2]]},
                "s3": {"tokens": [1, 2], "hidden": [[0, 0, 0, 0], [1, 1, 1, 1], [3, 3, 3, 3]]}
              }
            """),
        ("train", #"[{"chosen": "s1", "rejected": "s2"}]"#),
        ("eval", #"{"zeta": [{"chosen": "s3", "rejected": "s1"}], "alpha": [{"chosen": "s2", "rejected": "s3"}]}"#),
    ]

    /// The valid file, optionally without one field or with one field's value replaced.
    static func document(dropping dropped: String? = nil, replacing replaced: [String: String] = [:]) -> String {
        let members = fields.filter { $0.name != dropped }.map { field in
            "  \"\(field.name)\": " + (replaced[field.name] ?? field.value)
        }
        return "{\n" + members.joined(separator: ",\n") + "\n}"
    }

    static let base = document()

    /// `base` with `target` (which must occur exactly once) replaced.
    static func variant(_ target: String, _ replacement: String) -> String {
        precondition(base.components(separatedBy: target).count == 2, "\(target) must occur once in the base file")
        return base.replacingOccurrences(of: target, with: replacement)
    }

    func testBaseFileDecodesWithDefaultsAndFileOrderOfEvaluationSets() throws {
        let instance = try InstanceJSON.decode(Self.base)
        XCTAssertEqual(instance.beta, 0.5)
        XCTAssertEqual(instance.vocabularySize, 3)
        XCTAssertEqual(instance.hiddenWidth, 4)
        XCTAssertEqual(instance.referenceUnembedding, instance.unembedding, "reference defaults to unembedding")
        XCTAssertEqual(instance.head, [0, 0, 0, 0], "head defaults to zeros")
        XCTAssertEqual(instance.sequences["s1"]?.tokens, [0, 1])
        XCTAssertEqual(instance.sequences["s3"]?.hidden.row(2), [3, 3, 3, 3])
        XCTAssertEqual(instance.train, [PreferencePair(chosen: "s1", rejected: "s2")])
        XCTAssertEqual(instance.evaluationSets.map(\.name), ["zeta", "alpha"], "file order, not sorted order")
        XCTAssertEqual(instance.evaluationSets[1].pairs, [PreferencePair(chosen: "s2", rejected: "s3")])
    }

    func testOptionalFieldsMayBeNullAndIntegralTokenSpellingsAreAccepted() throws {
        let text = Self.variant(#""beta": 0.5,"#, #""beta": 0.5, "head": null, "reference_unembedding": null,"#)
        XCTAssertEqual(try InstanceJSON.decode(text).head, [0, 0, 0, 0])
        let spelled = Self.variant(#""tokens": [0, 1]"#, #""tokens": [0.0, 1e0]"#)
        XCTAssertEqual(try InstanceJSON.decode(spelled).sequences["s1"]?.tokens, [0, 1])
    }

    func testRoundTripIsBitExactForAwkwardValuesAndIDs() throws {
        try propertySweep(seeds: 0..<6, shapes: InstanceShape.sweep) { sweep, shape in
            let instance = InstanceFixtures.random(shape, .awkward, using: &sweep.generator)
            let data = InstanceJSON.encode(instance)
            let decoded = try InstanceJSON.decode(data)
            assertIdentical(decoded, instance)
            // The writer is deterministic, so writing the decoded instance reproduces the bytes.
            XCTAssertEqual(InstanceJSON.encode(decoded), data)
        }
    }

    func testWriterOmitsReferenceOnlyWhenBitIdenticalToUnembedding() throws {
        let same = InstanceFixtures.small()
        XCTAssertFalse(InstanceJSON.encodeString(same).contains("reference_unembedding"))
        // -0.0 == 0.0 numerically, but the writer must keep the sign bit, so it writes the reference.
        let negativeZero = try Instance(
            beta: 1, unembedding: Matrix(rowVectors: [[0.0]]), referenceUnembedding: Matrix(rowVectors: [[-0.0]]),
            sequences: ["a": TokenSequence(tokens: [0], hidden: Matrix(rowVectors: [[1], [1]]))],
            train: [PreferencePair(chosen: "a", rejected: "a")], evaluationSets: [])
        let decoded = try InstanceJSON.decode(InstanceJSON.encode(negativeZero))
        XCTAssertEqual(decoded.referenceUnembedding.elements[0].bitPattern, (-0.0).bitPattern)
        XCTAssertEqual(decoded.unembedding.elements[0].bitPattern, (0.0).bitPattern)
    }

    func testNumberTextParsesBackBitIdentical() throws {
        var generator = SeededGenerator(seed: 11)
        var values: [Double] = [0, -0.0, .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude,
                                -.greatestFiniteMagnitude, 0.1, 1e-5, 1e16, 1.0 / 3.0, 123_456_789_012_345_683_968]
        while values.count < 3000 {
            let candidate = Double(bitPattern: generator.next())
            if candidate.isFinite { values.append(candidate) }
        }
        for value in values {
            let text = JSONText.number(value)
            guard case let .number(parsed) = try JSONParser.parse(text) else {
                XCTFail("\(text) did not parse as a number")
                continue
            }
            XCTAssertEqual(parsed.bitPattern, value.bitPattern, "\(value) printed as \(text)")
        }
    }

    func testStringTextParsesBack() throws {
        for text in InstanceFixtures.awkwardIDs + ["\u{01}\u{1F}", "😀 astral", "a/b"] {
            XCTAssertEqual(try JSONParser.parse(JSONText.string(text)), .string(text))
        }
    }

    // MARK: Malformed files: each error names the field and the problem

    func testWrongTypesNameTheField() {
        let cases: [(String, String, field: String, problem: String)] = [
            (#""beta": 0.5"#, #""beta": "0.5""#, "beta", "expected a number, got a string"),
            ("[0, 0, 1, 0]", "[0, null, 1, 0]", "unembedding[2][1]", "expected a number, got null"),
            (#""tokens": [2]"#, #""tokens": ["2"]"#, "sequences.s2.tokens[0]", "expected a number, got a string"),
            (#""tokens": [2]"#, #""tokens": 2"#, "sequences.s2.tokens", "expected an array of integer token ids, got a number"),
            ("[[1, 2, 3, 4], [5", "[5, [5", "sequences.s1.hidden[0]", "expected an array of numbers, got a number"),
            (#""s2": {"tokens": [2], "hidden": [[1, 1, 1, 1], [2, 2, 2, 2]]}"#, #""s2": 5"#, "sequences.s2",
             "expected an object {\"tokens\", \"hidden\"}, got a number"),
            (#"[{"chosen": "s1", "rejected": "s2"}]"#, "[[1]]", "train[0]", "expected an object"),
            (#"{"chosen": "s1", "rejected": "s2"}"#, #"{"chosen": 1, "rejected": "s2"}"#, "train[0].chosen",
             "expected a string, got a number"),
            (#"[{"chosen": "s1", "rejected": "s2"}]"#, "{}", "train", "expected an array"),
            (#""alpha": [{"chosen": "s2", "rejected": "s3"}]"#, #""alpha": {"chosen": "s2"}"#, "eval.alpha",
             "expected an array"),
            ("[[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]", "\"W\"", "unembedding", "expected an array of rows"),
        ]
        for (target, replacement, field, problem) in cases {
            assertFieldError(field: field, problem: problem) { try InstanceJSON.decode(Self.variant(target, replacement)) }
        }
        assertFieldError(field: "eval", problem: "expected an object mapping set names to pair arrays, got an array") {
            try InstanceJSON.decode(Self.document(replacing: ["eval": "[]"]))
        }
        assertFieldError(field: "sequences", problem: "expected an object mapping sequence ids") {
            try InstanceJSON.decode(Self.document(replacing: ["sequences": "[]"]))
        }
    }

    func testWrongShapesNameTheFieldAndTheExpectedSize() {
        let cases: [(String, String, field: String, problem: String)] = [
            ("[3, 3, 3, 3]", "[3, 3, 3, 3, 3]", "sequences.s3.hidden", "row 2 has 5 entries, expected d = 4"),
            ("[0, 1, 0, 0]", "[0, 1, 0]", "unembedding", "row 1 has 3 entries, expected 4 like row 0"),
            ("[[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]", "[]", "unembedding", "is empty"),
            ("[[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]", "[[]]", "unembedding", "row 0 is empty"),
            (#""hidden": [[1, 1, 1, 1], [2, 2, 2, 2]]"#, #""hidden": [[1, 1, 1, 1]]"#, "sequences.s2.hidden",
             "has 1 rows, expected L + 1 = 2"),
            (#""beta": 0.5,"#, #""beta": 0.5, "head": [1, 2],"#, "head", "has 2 entries, expected d = 4"),
            (#""beta": 0.5,"#, #""beta": 0.5, "reference_unembedding": [[1, 2, 3]],"#, "reference_unembedding",
             "row 0 has 3 entries, expected d = 4"),
            (#""beta": 0.5,"#, #""beta": 0.5, "reference_unembedding": [[1, 2, 3, 4]],"#, "reference_unembedding",
             "is 1 x 4, expected 3 x 4"),
        ]
        for (target, replacement, field, problem) in cases {
            assertFieldError(field: field, problem: problem) { try InstanceJSON.decode(Self.variant(target, replacement)) }
        }
    }

    func testMissingFieldsAreNamed() {
        for required in ["beta", "unembedding", "sequences", "train", "eval"] {
            assertFieldError(field: required, problem: "missing") { try InstanceJSON.decode(Self.document(dropping: required)) }
        }
        let cases: [(String, String, field: String)] = [
            (#"{"chosen": "s1", "rejected": "s2"}"#, #"{"rejected": "s2"}"#, "train[0].chosen"),
            (#"{"chosen": "s3", "rejected": "s1"}"#, #"{"chosen": "s3"}"#, "eval.zeta[0].rejected"),
            (#""tokens": [2], "#, "", "sequences.s2.tokens"),
            (#", "hidden": [[1, 1, 1, 1], [2, 2, 2, 2]]"#, "", "sequences.s2.hidden"),
        ]
        for (target, replacement, field) in cases {
            assertFieldError(field: field, problem: "missing") { try InstanceJSON.decode(Self.variant(target, replacement)) }
        }
    }

    func testBadValuesAreNamed() {
        let cases: [(String, String, field: String, problem: String)] = [
            (#""tokens": [0, 1]"#, #""tokens": [0, 1.5]"#, "sequences.s1.tokens[1]", "expected an integer token id, got 1.5"),
            (#""tokens": [0, 1]"#, #""tokens": [0, 1e300]"#, "sequences.s1.tokens[1]", "expected an integer token id"),
            (#""tokens": [0, 1]"#, #""tokens": [0, 7]"#, "sequences.s1.tokens", "token id 7 is outside 0..<3"),
            (#""tokens": [0, 1]"#, #""tokens": [-1, 1]"#, "sequences.s1.tokens", "token id -1 is outside 0..<3"),
            (#""tokens": [0, 1]"#, #""tokens": []"#, "sequences.s1.tokens", "is empty"),
            (#""beta": 0.5"#, #""beta": -1"#, "beta", "must be a finite number > 0"),
            (#""rejected": "s2"}]"#, #""rejected": "s9"}]"#, "train[0]", "unknown sequence \"s9\""),
            (#""rejected": "s2"}]"#, #""rejected": "s2"}, {"chosen": "s1", "rejected": "s2", "weight": 2}]"#,
             "train[1].weight", "unknown field"),
            (#""beta": 0.5,"#, #""beta": 0.5, "hed": [0, 0, 0, 0],"#, "hed", "unknown field"),
            (#""s2": {"#, #""s1": {"tokens": [0], "hidden": [[0, 0, 0, 0], [0, 0, 0, 0]]}, "s2": {"#, "sequences.s1",
             "appears twice"),
            (#""eval": {"zeta""#, #""eval": {"alpha": [], "zeta""#, "eval.alpha", "appears twice"),
            (#""beta": 0.5,"#, #""beta": 0.5, "beta": 0.5,"#, "beta", "appears twice"),
            (#""train": [{"chosen": "s1", "rejected": "s2"}]"#, #""train": []"#, "train", "is empty"),
        ]
        for (target, replacement, field, problem) in cases {
            assertFieldError(field: field, problem: problem) { try InstanceJSON.decode(Self.variant(target, replacement)) }
        }
        assertFieldError(field: "(document)", problem: "expected a JSON object at the top level, got an array") {
            try InstanceJSON.decode("[1, 2]")
        }
    }

    // MARK: Invalid JSON: a syntax error with its position

    func assertSyntaxError(_ text: String, line: Int? = nil, column: Int? = nil, contains problem: String,
                           file: StaticString = #filePath, sourceLine: UInt = #line)
    {
        do {
            _ = try InstanceJSON.decode(text)
            XCTFail("expected a syntax error", file: file, line: sourceLine)
        } catch let error as JSONSyntaxError {
            if let line { XCTAssertEqual(error.line, line, "\(error)", file: file, line: sourceLine) }
            if let column { XCTAssertEqual(error.column, column, "\(error)", file: file, line: sourceLine) }
            XCTAssert(error.problem.contains(problem), "\(error)", file: file, line: sourceLine)
            XCTAssert(error.description.contains("line \(error.line), column \(error.column)"), file: file, line: sourceLine)
        } catch {
            XCTFail("expected JSONSyntaxError, got \(error)", file: file, line: sourceLine)
        }
    }

    func testInvalidJSONReportsLineAndColumn() {
        assertSyntaxError("{\n  \"beta\": 0.5,\n  \"x\": tru\n}", line: 3, column: 8, contains: "expected 'true'")
        assertSyntaxError("{\"beta\": 0.5 \"unembedding\": []}", line: 1, column: 14, contains: "expected ',' or '}'")
        assertSyntaxError("{\"a\": [1, 2,]}", line: 1, column: 13, contains: "expected a value")
        assertSyntaxError("{\"a\": 1,}", line: 1, column: 9, contains: "expected a member name")
        assertSyntaxError("{\"é\": ✓}", line: 1, column: 7, contains: "unexpected character '\\xE2'")
        assertSyntaxError("", line: 1, column: 1, contains: "empty")
        assertSyntaxError("   \n ", line: 2, column: 2, contains: "empty")
        assertSyntaxError("{\"a\": 1} x", contains: "after the end of the JSON value")
        assertSyntaxError("{\"a\": \"unterminated}", contains: "unterminated string")
        assertSyntaxError("{\"a\": 01}", contains: "leading zero")
        assertSyntaxError("{\"a\": 1.}", contains: "after the decimal point")
        assertSyntaxError("{\"a\": 1e}", contains: "exponent")
        assertSyntaxError("{\"a\": -}", contains: "expected a digit")
        assertSyntaxError("{\"a\": 1e400}", line: 1, column: 7, contains: "outside the range of a Double")
        assertSyntaxError("{\"a\": NaN}", contains: "expected a value")
        assertSyntaxError("{\"a\": Infinity}", contains: "expected a value")
        assertSyntaxError("{\"a\": \"\\x\"}", contains: "invalid escape")
        assertSyntaxError("{\"a\": \"\\uD800\"}", contains: "high surrogate")
        assertSyntaxError("{\"a\": \"\\uDC00\"}", contains: "lone low surrogate")
        assertSyntaxError("{\"a\": \"\\u12G4\"}", contains: "hexadecimal digit")
        assertSyntaxError("{\"a\": \"tab\there\"}", contains: "control character")
        assertSyntaxError("{// comment\n}", contains: "member name")
    }

    func testEveryTruncationOfAValidFileFailsCleanly() {
        let bytes = Array(Self.base.utf8)
        for length in 0..<bytes.count {
            XCTAssertThrowsError(try InstanceJSON.decode(Data(bytes[0..<length])), "prefix of \(length) bytes")
        }
    }

    func testHostileInputsThrowInsteadOfTrapping() {
        let deep = String(repeating: "[", count: 100_000)
        assertSyntaxError("{\"a\": \(deep)", contains: "nesting deeper than")
        // Invalid UTF-8 inside a string.
        var bytes = Array("{\"a\": \"x".utf8)
        bytes += [0xC3, 0x28] + Array("\"}".utf8)
        XCTAssertThrowsError(try InstanceJSON.decode(Data(bytes))) { error in
            XCTAssert("\(error)".contains("invalid UTF-8"), "\(error)")
        }
    }

    func testByteOrderMarkAndSurrogatePairsAreAccepted() throws {
        let withMark = Data([0xEF, 0xBB, 0xBF] + Array(Self.base.utf8))
        XCTAssertEqual(try InstanceJSON.decode(withMark).beta, 0.5)
        XCTAssertEqual(try JSONParser.parse(#""\uD83D\uDE00 \u00e9""#), .string("😀 é"))
    }
}
