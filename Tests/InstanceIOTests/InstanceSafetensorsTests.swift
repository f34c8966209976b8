import Foundation
import InstanceIO
import LinearAlgebra
import RewardDynamics
import TestSupport
import XCTest

final class InstanceSafetensorsTests: XCTestCase {
    func testFloat64RoundTripIsBitExact() throws {
        try propertySweep(seeds: 0..<6, shapes: InstanceShape.sweep) { sweep, shape in
            let instance = InstanceFixtures.random(shape, .awkward, using: &sweep.generator)
            let decoded = try InstanceSafetensors.decode(InstanceSafetensors.encode(instance))
            assertIdentical(decoded, instance)
        }
    }

    /// In a narrow dtype every stored value is the input rounded by that dtype, bit for bit; token ids
    /// are exact in both integer dtypes.
    func testNarrowDTypesStoreTheRoundedValues() throws {
        let rounders: [(SafetensorsDType, (Double) -> Double)] = [
            (.f32, { Double(Float($0)) }),
            (.f16, { ReducedPrecision.double(fromFloat16Bits: ReducedPrecision.float16Bits(from: $0)) }),
            (.bf16, { ReducedPrecision.double(fromBFloat16Bits: ReducedPrecision.bfloat16Bits(from: $0)) }),
        ]
        try propertySweep(seeds: 0..<3, shapes: InstanceShape.sweep) { sweep, shape in
            let instance = InstanceFixtures.random(shape, .gaussian, using: &sweep.generator)
            for (dtype, round) in rounders {
                let data = try InstanceSafetensors.encode(instance, floatDType: dtype, tokenDType: .i32)
                let decoded = try InstanceSafetensors.decode(data)
                func rounded(_ matrix: Matrix) -> Matrix {
                    Matrix(rows: matrix.rows, columns: matrix.columns, elements: matrix.elements.map(round))
                }
                assertIdentical(decoded.unembedding, rounded(instance.unembedding), dtype.rawValue)
                assertIdentical(decoded.referenceUnembedding, rounded(instance.referenceUnembedding), dtype.rawValue)
                XCTAssertEqual(bits(decoded.head), bits(instance.head.map(round)), dtype.rawValue)
                for id in instance.sequenceIDs {
                    XCTAssertEqual(decoded.sequences[id]?.tokens, instance.sequences[id]?.tokens)
                    assertIdentical(decoded.sequences[id]!.hidden, rounded(instance.sequences[id]!.hidden), dtype.rawValue)
                }
                XCTAssertEqual(decoded.beta.bitPattern, instance.beta.bitPattern, "beta is JSON text, never rounded")
                XCTAssertEqual(decoded.train, instance.train)
                XCTAssertEqual(decoded.evaluationSets, instance.evaluationSets)
            }
        }
    }

    func testHeaderLayoutUsesTheDocumentedNames() throws {
        let file = try InstanceSafetensors.file(for: InstanceFixtures.small())
        XCTAssertEqual(file.tensorNames, ["head", "hidden.a", "hidden.b", "tokens.a", "tokens.b", "unembedding"])
        XCTAssertEqual(file.tensors["hidden.a"]?.shape, [3, 2])
        XCTAssertEqual(file.tensors["tokens.a"]?.shape, [2])
        XCTAssertEqual(file.tensors["tokens.a"]?.dtype, .i64)
        XCTAssertEqual(file.metadata["beta"], "0.1")
        XCTAssertEqual(file.metadata["eval"], #"{"z": [{"chosen": "b", "rejected": "a"}], "a": []}"#)
    }

    func testEncodingRefusesValuesOutsideTheDType() throws {
        let big = try Instance(
            beta: 1, unembedding: Matrix(rowVectors: [[1e5]]),
            sequences: ["a": TokenSequence(tokens: [0], hidden: Matrix(rowVectors: [[1], [1]]))],
            train: [PreferencePair(chosen: "a", rejected: "a")], evaluationSets: [])
        XCTAssertThrowsError(try InstanceSafetensors.encode(big, floatDType: .f16)) { error in
            XCTAssert("\(error)".contains("tensor \"unembedding\""), "\(error)")
        }
        XCTAssertNoThrow(try InstanceSafetensors.encode(big, floatDType: .bf16))
    }

    // MARK: Malformed instance files

    /// A valid file for `small()`, changed by `edit`, must fail naming `field`.
    func assertEditRejected(field: String, problem: String, file: StaticString = #filePath, line: UInt = #line,
                            _ edit: (inout SafetensorsFile) throws -> Void) throws
    {
        var safetensors = try InstanceSafetensors.file(for: InstanceFixtures.small())
        try edit(&safetensors)
        let data = try safetensors.serialized()
        assertFieldError(field: field, problem: problem, file: file, line: line) { try InstanceSafetensors.decode(data) }
    }

    func testMissingAndMalformedMetadataIsNamed() throws {
        for key in ["beta", "train", "eval"] {
            try assertEditRejected(field: "__metadata__.\(key)", problem: "missing") { $0.metadata[key] = nil }
        }
        try assertEditRejected(field: "__metadata__.beta", problem: "expected a number, got a string") {
            $0.metadata["beta"] = "\"0.1\""
        }
        try assertEditRejected(field: "__metadata__.beta", problem: "must be a finite number > 0") { $0.metadata["beta"] = "0" }
        try assertEditRejected(field: "__metadata__.train", problem: "invalid JSON at line 1, column 2") {
            $0.metadata["train"] = "[oops]"
        }
        try assertEditRejected(field: "__metadata__.train[0].rejected", problem: "missing") {
            $0.metadata["train"] = #"[{"chosen": "a"}]"#
        }
        try assertEditRejected(field: "__metadata__.train[0]", problem: "unknown sequence \"c\"") {
            $0.metadata["train"] = #"[{"chosen": "a", "rejected": "c"}]"#
        }
        try assertEditRejected(field: "__metadata__.eval", problem: "expected an object") { $0.metadata["eval"] = "[]" }
        try assertEditRejected(field: "__metadata__.eval.z", problem: "appears twice") {
            $0.metadata["eval"] = #"{"z": [], "z": []}"#
        }
    }

    func testMissingAndMalformedTensorsAreNamed() throws {
        try assertEditRejected(field: "unembedding", problem: "missing") { $0.tensors["unembedding"] = nil }
        try assertEditRejected(field: "unembedding", problem: "has shape [6], expected [V, d]") {
            $0.tensors["unembedding"] = try SafetensorsTensor(shape: [6], doubles: [1, 2, 3, 4, 5, 6])
        }
        try assertEditRejected(field: "unembedding", problem: "has dtype I64, expected a floating dtype") {
            $0.tensors["unembedding"] = try SafetensorsTensor(dtype: .i64, shape: [3, 2], integers: [1, 2, 3, 4, 5, 6])
        }
        try assertEditRejected(field: "reference_unembedding", problem: "expected 3 rows") {
            $0.tensors["reference_unembedding"] = try SafetensorsTensor(shape: [2, 2], doubles: [1, 2, 3, 4])
        }
        try assertEditRejected(field: "head", problem: "has shape [3], expected [d] = [2]") {
            $0.tensors["head"] = try SafetensorsTensor(shape: [3], doubles: [1, 2, 3])
        }
        try assertEditRejected(field: "hidden.a", problem: "expected 3 rows (L + 1 = 3)") {
            $0.tensors["hidden.a"] = try SafetensorsTensor(shape: [2, 2], doubles: [1, 2, 3, 4])
        }
        try assertEditRejected(field: "hidden.a", problem: "expected [L + 1, d] = [3, 2]") {
            $0.tensors["hidden.a"] = try SafetensorsTensor(shape: [3, 1], doubles: [1, 2, 3])
        }
        try assertEditRejected(field: "tokens.a", problem: "has dtype F32, expected an integer dtype") {
            $0.tensors["tokens.a"] = try SafetensorsTensor(dtype: .f32, shape: [2], doubles: [0, 2])
        }
        try assertEditRejected(field: "tokens.a", problem: "has shape [1, 2], expected [L]") {
            $0.tensors["tokens.a"] = try SafetensorsTensor(shape: [1, 2], integers: [0, 2])
        }
        try assertEditRejected(field: "tokens.a", problem: "token id 3 is outside 0..<3") {
            $0.tensors["tokens.a"] = try SafetensorsTensor(shape: [2], integers: [0, 3])
        }
        try assertEditRejected(field: "tokens.a", problem: "missing") { $0.tensors["tokens.a"] = nil }
        try assertEditRejected(field: "hidden.b", problem: "missing") { $0.tensors["hidden.b"] = nil }
        try assertEditRejected(field: "weights", problem: "unknown tensor") {
            $0.tensors["weights"] = try SafetensorsTensor(shape: [1], doubles: [1])
        }
        try assertEditRejected(field: "unembedding", problem: "non-finite") {
            $0.tensors["unembedding"] = try SafetensorsTensor(shape: [3, 2], doubles: [1, 2, 3, .nan, 5, 6])
        }
    }

    func testEvaluationSetOrderIsTheMetadataTextOrderAndExtraMetadataIsIgnored() throws {
        var file = try InstanceSafetensors.file(for: InstanceFixtures.small())
        file.metadata["eval"] = #"{"zz": [], "b": [{"chosen": "a", "rejected": "b"}], "aa": []}"#
        file.metadata["format"] = "pt"
        let instance = try InstanceSafetensors.decode(file.serialized())
        XCTAssertEqual(instance.evaluationSets.map(\.name), ["zz", "b", "aa"])
    }

    func testContainerErrorsPassThrough() {
        XCTAssertThrowsError(try InstanceSafetensors.decode(Data([1, 0, 0]))) { error in
            XCTAssert(error is SafetensorsError, "\(error)")
        }
    }
}
