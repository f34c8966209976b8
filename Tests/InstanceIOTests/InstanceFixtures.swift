import Foundation
import LinearAlgebra
import RewardDynamics
import XCTest

/// Sizes of a random instance, printed by property sweeps when a case fails.
struct InstanceShape: CustomStringConvertible {
    let vocabulary: Int
    let width: Int
    let sequences: Int
    let maximumLength: Int

    var description: String { "V=\(vocabulary) d=\(width) sequences=\(sequences) L<=\(maximumLength)" }

    static let sweep = [
        InstanceShape(vocabulary: 1, width: 1, sequences: 2, maximumLength: 1),
        InstanceShape(vocabulary: 5, width: 3, sequences: 4, maximumLength: 3),
        InstanceShape(vocabulary: 9, width: 6, sequences: 7, maximumLength: 5),
    ]
}

/// How a random instance's numbers are drawn.
enum ValueStyle {
    /// Standard normal: inside every dtype's range, for the rounding tests.
    case gaussian
    /// Finite doubles from random bit patterns plus -0.0, the smallest subnormal and the largest finite
    /// value, mixed with normals: the values most likely to break a printer or parser.
    case awkward
}

enum InstanceFixtures {
    /// Ids chosen to break naive escaping and naive "hidden.<id>" splitting.
    static let awkwardIDs = ["quote\"back\\slash", "new\nline\ttab", "dotted.id.x", "unicode é✓", ""]

    static func value(_ style: ValueStyle, using generator: inout some RandomNumberGenerator) -> Double {
        switch style {
        case .gaussian:
            return GaussianSampling.standardNormal(using: &generator)
        case .awkward:
            switch Int.random(in: 0..<6, using: &generator) {
            case 0: return -0.0
            case 1: return Double.leastNonzeroMagnitude * Double(Int.random(in: 1...1000, using: &generator))
            case 2: return Double.random(in: 0...1, using: &generator) < 0.5 ? Double.greatestFiniteMagnitude : 0.1
            case 3: return GaussianSampling.standardNormal(using: &generator)
            default:
                while true {
                    let candidate = Double(bitPattern: generator.next())
                    if candidate.isFinite { return candidate }
                }
            }
        }
    }

    static func matrix(rows: Int, columns: Int, _ style: ValueStyle, using generator: inout some RandomNumberGenerator) -> Matrix {
        Matrix(rows: rows, columns: columns, elements: (0..<(rows * columns)).map { _ in value(style, using: &generator) })
    }

    static func pairs(count: Int, ids: [String], using generator: inout some RandomNumberGenerator) -> [PreferencePair] {
        (0..<count).map { _ in
            PreferencePair(chosen: ids.randomElement(using: &generator)!, rejected: ids.randomElement(using: &generator)!)
        }
    }

    /// A valid random instance; with `awkwardIDs` some sequence and set names need escaping.
    static func random(_ shape: InstanceShape, _ style: ValueStyle, awkwardIDs useAwkward: Bool = true,
                       using generator: inout some RandomNumberGenerator) -> Instance
    {
        var ids = (0..<shape.sequences).map { "s\($0)" }
        if useAwkward { ids += awkwardIDs.prefix(2 + shape.sequences % 3) }
        var sequences: [String: TokenSequence] = [:]
        for id in ids {
            let length = Int.random(in: 1...shape.maximumLength, using: &generator)
            let tokens = (0..<length).map { _ in Int.random(in: 0..<shape.vocabulary, using: &generator) }
            sequences[id] = TokenSequence(
                tokens: tokens, hidden: matrix(rows: length + 1, columns: shape.width, style, using: &generator))
        }
        let unembedding = matrix(rows: shape.vocabulary, columns: shape.width, style, using: &generator)
        let hasReference = Bool.random(using: &generator)
        let reference = hasReference ? matrix(rows: shape.vocabulary, columns: shape.width, style, using: &generator) : nil
        let head = (0..<shape.width).map { _ in value(style, using: &generator) }
        let betaCandidate = abs(value(style, using: &generator))
        let beta = betaCandidate > 0 ? betaCandidate : 0.1
        // Set names deliberately out of sorted order, to check file order is kept.
        var setNames = ["zeta", "alpha", "mid"]
        if useAwkward { setNames.append("name with \"quotes\"") }
        let sets = setNames.prefix(Int.random(in: 0...setNames.count, using: &generator)).map { name in
            EvaluationSet(name: name, pairs: pairs(count: Int.random(in: 0...3, using: &generator), ids: ids, using: &generator))
        }
        do {
            return try Instance(
                beta: beta, unembedding: unembedding, referenceUnembedding: reference, head: head,
                sequences: sequences, train: pairs(count: Int.random(in: 1...4, using: &generator), ids: ids, using: &generator),
                evaluationSets: Array(sets))
        } catch {
            preconditionFailure("fixture built an invalid instance: \(error)")
        }
    }

    /// A small fixed instance (V = 3, d = 2) for hand-written cases.
    static func small() -> Instance {
        let sequences = [
            "a": TokenSequence(tokens: [0, 2], hidden: Matrix(rowVectors: [[1, 2], [3, 4], [5, 6]])),
            "b": TokenSequence(tokens: [1], hidden: Matrix(rowVectors: [[-1, 0.5], [0.25, -0.125]])),
        ]
        do {
            return try Instance(
                beta: 0.1, unembedding: Matrix(rowVectors: [[1, 0], [0, 1], [0.5, -0.5]]), sequences: sequences,
                train: [PreferencePair(chosen: "a", rejected: "b")],
                evaluationSets: [EvaluationSet(name: "z", pairs: [PreferencePair(chosen: "b", rejected: "a")]),
                                 EvaluationSet(name: "a", pairs: [])])
        } catch {
            preconditionFailure("fixture built an invalid instance: \(error)")
        }
    }
}

/// Bit patterns, so that -0.0 vs 0.0 and every last bit count.
func bits(_ values: [Double]) -> [UInt64] { values.map(\.bitPattern) }

/// Asserts two instances are equal with every Double bit-identical (`Instance` is not Equatable).
func assertIdentical(_ actual: Instance, _ expected: Instance, _ message: String = "",
                     file: StaticString = #filePath, line: UInt = #line)
{
    XCTAssertEqual(actual.beta.bitPattern, expected.beta.bitPattern, "beta \(message)", file: file, line: line)
    assertIdentical(actual.unembedding, expected.unembedding, "unembedding \(message)", file: file, line: line)
    assertIdentical(actual.referenceUnembedding, expected.referenceUnembedding, "reference \(message)", file: file, line: line)
    XCTAssertEqual(bits(actual.head), bits(expected.head), "head \(message)", file: file, line: line)
    XCTAssertEqual(actual.sequenceIDs, expected.sequenceIDs, "sequence ids \(message)", file: file, line: line)
    for id in expected.sequenceIDs {
        guard let a = actual.sequences[id], let b = expected.sequences[id] else { continue }
        XCTAssertEqual(a.tokens, b.tokens, "tokens of \(id) \(message)", file: file, line: line)
        assertIdentical(a.hidden, b.hidden, "hidden of \(id) \(message)", file: file, line: line)
    }
    XCTAssertEqual(actual.train, expected.train, "train \(message)", file: file, line: line)
    XCTAssertEqual(actual.evaluationSets, expected.evaluationSets, "eval \(message)", file: file, line: line)
}

func assertIdentical(_ actual: Matrix, _ expected: Matrix, _ message: String = "",
                     file: StaticString = #filePath, line: UInt = #line)
{
    XCTAssertEqual(actual.rows, expected.rows, "rows \(message)", file: file, line: line)
    XCTAssertEqual(actual.columns, expected.columns, "columns \(message)", file: file, line: line)
    XCTAssertEqual(bits(actual.elements), bits(expected.elements), message, file: file, line: line)
}

/// Runs `body`, which must throw an `InstanceValidationError` at `field` whose problem contains `problem`.
func assertFieldError(field: String, problem: String, file: StaticString = #filePath, line: UInt = #line,
                      _ body: () throws -> Any)
{
    do {
        _ = try body()
        XCTFail("expected an error at \(field), but it succeeded", file: file, line: line)
    } catch let error as InstanceValidationError {
        XCTAssertEqual(error.field, field, "message: \(error)", file: file, line: line)
        XCTAssert(error.problem.contains(problem), "\"\(error.problem)\" does not contain \"\(problem)\"", file: file, line: line)
    } catch {
        XCTFail("expected InstanceValidationError at \(field), got \(type(of: error)): \(error)", file: file, line: line)
    }
}
