import Foundation
import InstanceIO
import LinearAlgebra
import TestSupport
import XCTest

final class SafetensorsFileTests: XCTestCase {
    /// Relative rounding error bounds (unit roundoff 2^-(p) for p fraction bits + 1, round to nearest), for
    /// values in each format's normal range: the most a correctly rounded conversion may move a value.
    static let float32UnitRoundoff = 0x1p-24
    static let float16UnitRoundoff = 0x1p-11
    static let bfloat16UnitRoundoff = 0x1p-8

    /// Bytes of a file with the given header text (not padded) and data section.
    static func rawFile(header: String, data: [UInt8] = []) -> Data {
        let headerBytes = Array(header.utf8)
        var bytes: [UInt8] = []
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: UInt64(headerBytes.count) >> shift)) }
        return Data(bytes + headerBytes + data)
    }

    func assertRejected(_ data: Data, mentioning words: [String], file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try SafetensorsFile(data: data)
            XCTFail("the file was accepted", file: file, line: line)
        } catch {
            for word in words {
                XCTAssert(error.problem.contains(word), "\"\(error.problem)\" does not mention \"\(word)\"", file: file, line: line)
            }
        }
    }

    // MARK: Format compatibility

    func testWriterProducesTheSpecifiedByteLayout() throws {
        let file = SafetensorsFile(tensors: ["a": try SafetensorsTensor(dtype: .f32, shape: [2], doubles: [1, -2])])
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#  // 54 bytes, padded to 56
        var expected: [UInt8] = [56, 0, 0, 0, 0, 0, 0, 0] + Array(header.utf8) + [0x20, 0x20]
        expected += [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0]  // 1.0f and -2.0f, little-endian
        XCTAssertEqual([UInt8](try file.serialized()), expected)
    }

    func testReaderAcceptsAHandWrittenFileInAnotherWritersStyle() throws {
        // Metadata first, keys in another order, spaces, and an F16 tensor before an I64 one.
        let header = """
            {"__metadata__": {"format": "pt"}, "w": {"shape": [2], "dtype": "F16", "data_offsets": [0, 4]},
             "ids": {"dtype": "I64", "data_offsets": [4, 12], "shape": [1, 1]}}
            """
        let data: [UInt8] = [0x00, 0x3C, 0x00, 0xC0] + [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
        let file = try SafetensorsFile(data: Self.rawFile(header: header, data: data))
        XCTAssertEqual(file.metadata, ["format": "pt"])
        XCTAssertEqual(file.tensorNames, ["ids", "w"])
        XCTAssertEqual(file.tensors["w"]?.dtype, .f16)
        XCTAssertEqual(file.tensors["w"]?.doubles, [1, -2])
        XCTAssertEqual(file.tensors["ids"]?.shape, [1, 1])
        XCTAssertEqual(file.tensors["ids"]?.integers, [-2])
    }

    // MARK: Round trips

    func testFloat64RoundTripIsBitExact() throws {
        try propertySweep(seeds: 0..<6) { sweep in
            let values = (0..<40).map { _ in InstanceFixtures.value(.awkward, using: &sweep.generator) } + [.infinity, -.infinity]
            let tensor = try SafetensorsTensor(dtype: .f64, shape: [6, 7], doubles: values)
            let read = try SafetensorsFile(data: SafetensorsFile(tensors: ["x": tensor]).serialized())
            XCTAssertEqual(bits(read.tensors["x"]?.doubles ?? []), bits(values))
            XCTAssertEqual(read.tensors["x"]?.shape, [6, 7])
        }
    }

    /// Narrow dtypes: the tensor stores the rounded values, the file reproduces them bit for bit, and they
    /// are within the dtype's unit roundoff of the input.
    func testNarrowFloatRoundTripsAreWithinTheDTypeRounding() throws {
        let cases: [(SafetensorsDType, Double, (Double) -> Double)] = [
            (.f32, Self.float32UnitRoundoff, { Double(Float($0)) }),
            (.f16, Self.float16UnitRoundoff,
             { ReducedPrecision.double(fromFloat16Bits: ReducedPrecision.float16Bits(from: $0)) }),
            (.bf16, Self.bfloat16UnitRoundoff,
             { ReducedPrecision.double(fromBFloat16Bits: ReducedPrecision.bfloat16Bits(from: $0)) }),
        ]
        try propertySweep(seeds: 0..<6, shapes: cases.map(\.0.rawValue)) { sweep, name in
            let (dtype, unitRoundoff, round) = cases.first { $0.0.rawValue == name }!
            // Magnitudes in [2^-10, 2^10]: inside the normal range of all three, where the relative bound holds.
            let values = (0..<30).map { _ in
                Double(sign: Bool.random(using: &sweep.generator) ? .minus : .plus,
                       exponent: Int.random(in: -10...10, using: &sweep.generator),
                       significand: Double.random(in: 1..<2, using: &sweep.generator))
            }
            let tensor = try SafetensorsTensor(dtype: dtype, shape: [3, 10], doubles: values)
            XCTAssertEqual(bits(tensor.doubles ?? []), bits(values.map(round)), "the tensor holds the rounded values")
            let read = try SafetensorsFile(data: SafetensorsFile(tensors: ["x": tensor]).serialized())
            XCTAssertEqual(read.tensors["x"], tensor)
            for (stored, original) in zip(read.tensors["x"]?.doubles ?? [], values) {
                XCTAssertLessThanOrEqual(abs(stored - original), unitRoundoff * abs(original), "\(dtype.rawValue) of \(original)")
            }
        }
    }

    func testIntegerRoundTripsAreExact() throws {
        let wide = [0, 1, -1, Int(Int64.max), Int(Int64.min), 1 << 40, 7]
        let narrow = [0, 1, -1, Int(Int32.max), Int(Int32.min), 123_456, 7]
        let file = SafetensorsFile(
            tensors: ["wide": try SafetensorsTensor(dtype: .i64, shape: [7], integers: wide),
                      "narrow": try SafetensorsTensor(dtype: .i32, shape: [7, 1], integers: narrow)],
            metadata: ["note": "ünïcode \"quoted\"", "empty": ""])
        let read = try SafetensorsFile(data: file.serialized())
        XCTAssertEqual(read, file)
        XCTAssertEqual(read.tensors["wide"]?.integers, wide)
        XCTAssertEqual(read.tensors["narrow"]?.integers, narrow)
        XCTAssertEqual(read.metadata["note"], "ünïcode \"quoted\"")
    }

    func testScalarsEmptyTensorsAndMixedDTypesRoundTrip() throws {
        let file = SafetensorsFile(tensors: [
            "scalar": try SafetensorsTensor(dtype: .f64, shape: [], doubles: [2.5]),
            "empty": try SafetensorsTensor(dtype: .f32, shape: [0, 3], doubles: []),
            "half": try SafetensorsTensor(dtype: .f16, shape: [3], doubles: [0.5, -0.0, 0x1p-24]),
            "odd": try SafetensorsTensor(dtype: .bf16, shape: [1], doubles: [3]),
            "ids": try SafetensorsTensor(dtype: .i32, shape: [1], integers: [9]),
        ])
        let data = try file.serialized()
        XCTAssertEqual(try SafetensorsFile(data: data), file)
        XCTAssertEqual(try SafetensorsFile(data: data).serialized(), data, "the writer is deterministic")
    }

    func testWriterRejectsValuesTheDTypeCannotHold() throws {
        XCTAssertThrowsError(try SafetensorsTensor(dtype: .f16, shape: [2], doubles: [1, 70_000])) { error in
            XCTAssert("\(error)".contains("outside the finite range of F16"), "\(error)")
        }
        XCTAssertThrowsError(try SafetensorsTensor(dtype: .f32, shape: [1], doubles: [1e39]))
        XCTAssertThrowsError(try SafetensorsTensor(dtype: .i32, shape: [1], integers: [1 << 31])) { error in
            XCTAssert("\(error)".contains("does not fit in I32"), "\(error)")
        }
        // Infinity is a value every float dtype holds; only finite overflow is refused.
        XCTAssertNoThrow(try SafetensorsTensor(dtype: .f16, shape: [1], doubles: [.infinity]))
        let reserved = SafetensorsFile(tensors: ["__metadata__": try SafetensorsTensor(shape: [0], doubles: [])])
        XCTAssertThrowsError(try reserved.serialized())
    }

    // MARK: Malformed files

    static let validHeader = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
    static let validData: [UInt8] = [0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0]

    func testMalformedContainersAreRejectedWithAReason() {
        assertRejected(Data([1, 2, 3]), mentioning: ["3 bytes", "8-byte header length"])
        assertRejected(Data([200, 0, 0, 0, 0, 0, 0, 0] + Array("{}".utf8)), mentioning: ["header length 200", "past the end"])
        assertRejected(Data([UInt8](repeating: 0xFF, count: 16)), mentioning: ["past the end"])
        assertRejected(Self.rawFile(header: "{not json}"), mentioning: ["not valid JSON", "line 1, column 2"])
        assertRejected(Self.rawFile(header: "[]"), mentioning: ["expected a JSON object, got an array"])
        assertRejected(Self.rawFile(header: #"{"__metadata__":{"k":1}}"#), mentioning: ["__metadata__.k", "expected a string"])
    }

    func testMalformedTensorEntriesAreRejectedNamingTheTensor() {
        func entry(_ body: String) -> String { "{\"a\":{\(body)}}" }
        let cases: [(header: String, data: [UInt8], words: [String])] = [
            (entry(#""dtype":"U8","shape":[8],"data_offsets":[0,8]"#), Self.validData,
             ["tensor \"a\"", "dtype \"U8\"", "not supported"]),
            (entry(#""dtype":"F32","shape":[2],"data_offsets":[0,100]"#), Self.validData,
             ["tensor \"a\"", "[0, 100]", "past the end of the data section"]),
            (entry(#""dtype":"F32","shape":[2],"data_offsets":[8,0]"#), Self.validData, ["begin <= end"]),
            (entry(#""dtype":"F32","shape":[2],"data_offsets":[-4,8]"#), Self.validData, ["begin <= end"]),
            (entry(#""dtype":"F32","shape":[2],"data_offsets":[0,4,8]"#), Self.validData, ["3 data_offsets"]),
            (entry(#""dtype":"F32","shape":[3],"data_offsets":[0,8]"#), Self.validData,
             ["shape [3]", "needs 12 bytes", "span 8"]),
            (entry(#""dtype":"F32","shape":[2,2],"data_offsets":[0,8]"#), Self.validData, ["shape [2, 2]", "needs 16 bytes"]),
            (entry(#""dtype":"F32","shape":[-2],"data_offsets":[0,8]"#), Self.validData, ["negative extent -2"]),
            (entry(#""dtype":"F32","shape":[1.5],"data_offsets":[0,8]"#), Self.validData, ["a.shape[0]", "integer extent"]),
            (entry(#""dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,8]"#), Self.validData,
             ["overflows"]),
            (entry(#""dtype":"F64","shape":[4611686018427387],"data_offsets":[0,8]"#), Self.validData, ["needs"]),
            (entry(#""shape":[2],"data_offsets":[0,8]"#), Self.validData, ["a.dtype", "missing"]),
            (entry(#""dtype":"F32","data_offsets":[0,8]"#), Self.validData, ["a.shape", "missing"]),
            (entry(#""dtype":"F32","shape":[2]"#), Self.validData, ["a.data_offsets", "missing"]),
            (entry(#""dtype":"F32","shape":"2","data_offsets":[0,8]"#), Self.validData, ["a.shape", "got a string"]),
            (entry(#""dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1"#), Self.validData, ["a.extra", "unknown field"]),
            (#"{"a":5}"#, Self.validData, ["expected an object"]),
        ]
        for (header, data, words) in cases {
            assertRejected(Self.rawFile(header: header, data: data), mentioning: words)
        }
    }

    func testTensorsMustTileTheDataSectionExactly() {
        let overlapping = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        assertRejected(Self.rawFile(header: overlapping, data: Array(repeating: 0, count: 12)),
                       mentioning: ["tensor \"b\"", "overlaps tensor \"a\""])
        let same = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#
        assertRejected(Self.rawFile(header: same, data: Self.validData), mentioning: ["overlaps"])
        let gap = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        assertRejected(Self.rawFile(header: gap, data: Self.validData), mentioning: ["bytes 0..<4", "belong to no tensor"])
        assertRejected(Self.rawFile(header: Self.validHeader, data: Self.validData + [0, 0]),
                       mentioning: ["bytes 8..<10", "trailing"])
    }

    func testEveryTruncationOfAValidFileIsRejected() throws {
        let file = SafetensorsFile(
            tensors: ["w": try SafetensorsTensor(dtype: .f64, shape: [2, 2], doubles: [1, 2, 3, 4]),
                      "t": try SafetensorsTensor(dtype: .i32, shape: [3], integers: [1, 2, 3])],
            metadata: ["beta": "0.1"])
        let bytes = [UInt8](try file.serialized())
        for length in 0..<bytes.count {
            XCTAssertThrowsError(try SafetensorsFile(data: Data(bytes[0..<length])), "prefix of \(length) bytes")
        }
    }

    /// Random byte corruptions of a valid file either read as some file or throw; none may trap. A file
    /// that does read must serialize and read back to itself.
    func testCorruptedFilesNeverTrap() throws {
        let file = SafetensorsFile(
            tensors: ["w": try SafetensorsTensor(dtype: .f16, shape: [2, 3], doubles: [1, 2, 3, 4, 5, 6]),
                      "t": try SafetensorsTensor(dtype: .i64, shape: [2], integers: [1, 2])],
            metadata: ["k": "v"])
        let original = [UInt8](try file.serialized())
        var generator = SeededGenerator(seed: 3)
        var rejected = 0
        for _ in 0..<400 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            do {
                let read = try SafetensorsFile(data: Data(bytes))
                let again = try SafetensorsFile(data: read.serialized())
                XCTAssertEqual(again.tensorNames, read.tensorNames)
                XCTAssertEqual(again.metadata, read.metadata)
            } catch {
                rejected += 1
            }
        }
        XCTAssertGreaterThan(rejected, 0, "corruptions of the header must be caught")
    }
}
