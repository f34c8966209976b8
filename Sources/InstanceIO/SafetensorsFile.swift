import Foundation

/// A safetensors file: named tensors plus string metadata, read and written by hand.
///
/// The format: an 8-byte little-endian UInt64 N, then N bytes of UTF-8 JSON (the header), then the data
/// section. The header is an object mapping each tensor name to
/// `{"dtype": "F64", "shape": [2, 3], "data_offsets": [begin, end]}`, offsets in bytes relative to the
/// start of the data section, plus an optional `"__metadata__"` object of string -> string. Tensor data
/// is row-major, little-endian.
///
/// Reading is defensive: every malformed input throws `SafetensorsError` naming the tensor or header
/// field, and no input traps or reads out of bounds. Checked: the file holds the 8 length bytes; N fits
/// in the file and under `maximumHeaderLength`; the header is JSON, an object, with exactly the three
/// fields per tensor; the dtype is one of `SafetensorsDType` (others are reported as unsupported); shape
/// entries and offsets are non-negative integers and the byte size shape * dtype size does not overflow;
/// `end - begin` equals that byte size; offsets stay inside the data section; and, as in the reference
/// implementation, the tensors tile the data section exactly (no overlaps, no gaps, no trailing bytes).
///
/// Writing lays tensors out by decreasing element size, then by name, after a header padded with spaces
/// to a multiple of 8 bytes, so every tensor starts aligned to its element size.
///
/// Mathematical properties:
/// - Round trip: `SafetensorsFile(data: f.serialized()) == f`, values bit-identical (tensors already hold
///   values rounded to their dtype).
/// - `serialized()` is deterministic: the same file gives the same bytes.
public struct SafetensorsFile: Sendable, Equatable {
    /// Headers larger than this are refused before parsing (the reference implementation's limit).
    public static let maximumHeaderLength = 100_000_000

    public var tensors: [String: SafetensorsTensor]
    public var metadata: [String: String]

    public init(tensors: [String: SafetensorsTensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Tensor names in sorted order.
    public var tensorNames: [String] { tensors.keys.sorted() }

    // MARK: Reading

    /// Reads a file from its bytes.
    public init(data: Data) throws(SafetensorsError) {
        try self.init(bytes: [UInt8](data))
    }

    /// Reads a file from disk.
    public init(contentsOf url: URL) throws {
        try self.init(data: Data(contentsOf: url))
    }

    init(bytes: [UInt8]) throws(SafetensorsError) {
        guard bytes.count >= 8 else {
            throw SafetensorsError("the file has \(bytes.count) bytes, fewer than the 8-byte header length")
        }
        var headerLength: UInt64 = 0
        for position in (0..<8).reversed() {
            headerLength = headerLength << 8 | UInt64(bytes[position])
        }
        let available = bytes.count - 8
        guard headerLength <= UInt64(available) else {
            throw SafetensorsError(
                "the header length \(headerLength) runs past the end of the file (only \(available) bytes follow it);"
                    + " the file is truncated or not safetensors")
        }
        guard headerLength <= UInt64(SafetensorsFile.maximumHeaderLength) else {
            throw SafetensorsError(
                "the header length \(headerLength) exceeds the limit of \(SafetensorsFile.maximumHeaderLength) bytes")
        }
        let headerEnd = 8 + Int(headerLength)
        let header: JSONValue
        do {
            header = try JSONParser.parse(Array(bytes[8..<headerEnd]))
        } catch {
            throw SafetensorsError("the header is not valid JSON: \(error)")
        }
        let dataLength = bytes.count - headerEnd

        var metadata: [String: String] = [:]
        var layouts: [TensorLayout] = []
        do {
            for entry in try header.object(field: "header", of: "a JSON object") {
                if entry.key == "__metadata__" {
                    for member in try entry.value.object(field: "__metadata__", of: "an object of string values") {
                        metadata[member.key] = try member.value.string(field: "__metadata__.\(member.key)")
                    }
                } else {
                    layouts.append(try TensorLayout(name: entry.key, entry: entry.value, dataLength: dataLength))
                }
            }
        } catch let error as SafetensorsError {
            throw error
        } catch {
            // InstanceValidationError from the JSON accessors: a header field of the wrong type.
            throw SafetensorsError("header field \(error)")
        }
        try SafetensorsFile.checkTiling(layouts, dataLength: dataLength)

        var tensors: [String: SafetensorsTensor] = [:]
        bytes.withUnsafeBytes { raw in
            let data = UnsafeRawBufferPointer(rebasing: raw[headerEnd...])
            for layout in layouts {
                tensors[layout.name] = layout.read(from: data)
            }
        }
        self.init(tensors: tensors, metadata: metadata)
    }

    /// Sorted by offsets, each tensor must begin where the previous one ended, and the last must end at
    /// the end of the data section.
    private static func checkTiling(_ layouts: [TensorLayout], dataLength: Int) throws(SafetensorsError) {
        let ordered = layouts.sorted { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var covered = 0
        var previous: String? = nil
        for layout in ordered {
            if layout.begin < covered {
                throw SafetensorsError(
                    "tensor \(quoted(layout.name)) (bytes \(layout.begin)..<\(layout.end)) overlaps tensor"
                        + " \(quoted(previous ?? "")) (which ends at byte \(covered))")
            }
            if layout.begin > covered {
                throw SafetensorsError("bytes \(covered)..<\(layout.begin) of the data section belong to no tensor")
            }
            covered = layout.end
            previous = layout.name
        }
        if covered != dataLength {
            throw SafetensorsError(
                "bytes \(covered)..<\(dataLength) of the data section belong to no tensor (trailing data)")
        }
    }

    // MARK: Writing

    /// The file as bytes. Throws if a tensor is named `__metadata__`, which the format reserves.
    public func serialized() throws(SafetensorsError) -> Data {
        if tensors["__metadata__"] != nil {
            throw SafetensorsError("\"__metadata__\" is reserved for the metadata and cannot name a tensor")
        }
        let ordered = tensors.sorted { lhs, rhs in
            if lhs.value.dtype.byteCount != rhs.value.dtype.byteCount {
                return lhs.value.dtype.byteCount > rhs.value.dtype.byteCount
            }
            return lhs.key < rhs.key
        }
        var headerFields: [String] = []
        if !metadata.isEmpty {
            let members = metadata.sorted { $0.key < $1.key }.map { JSONText.string($0.key) + ":" + JSONText.string($0.value) }
            headerFields.append("\"__metadata__\":{" + members.joined(separator: ",") + "}")
        }
        var offset = 0
        for (name, tensor) in ordered {
            let size = tensor.elementCount * tensor.dtype.byteCount
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            headerFields.append(
                JSONText.string(name) + ":{\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":[\(shape)],"
                    + "\"data_offsets\":[\(offset),\(offset + size)]}")
            offset += size
        }
        var header = Array(("{" + headerFields.joined(separator: ",") + "}").utf8)
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }

        var bytes = [UInt8]()
        bytes.reserveCapacity(8 + header.count + offset)
        appendLittleEndian(UInt64(header.count), to: &bytes)
        bytes.append(contentsOf: header)
        for (_, tensor) in ordered {
            SafetensorsFile.append(tensor, to: &bytes)
        }
        return Data(bytes)
    }

    private static func append(_ tensor: SafetensorsTensor, to bytes: inout [UInt8]) {
        switch tensor.values {
        case let .floating(values):
            for value in values {
                switch tensor.dtype {
                case .f64: appendLittleEndian(value.bitPattern, to: &bytes)
                case .f32: appendLittleEndian(Float(value).bitPattern, to: &bytes)
                case .f16: appendLittleEndian(ReducedPrecision.float16Bits(from: value), to: &bytes)
                case .bf16: appendLittleEndian(ReducedPrecision.bfloat16Bits(from: value), to: &bytes)
                case .i64, .i32: preconditionFailure("floating values in an \(tensor.dtype.rawValue) tensor")
                }
            }
        case let .integer(values):
            for value in values {
                switch tensor.dtype {
                case .i64: appendLittleEndian(UInt64(bitPattern: Int64(value)), to: &bytes)
                // The tensor initializer checked every value fits in Int32.
                case .i32: appendLittleEndian(UInt32(bitPattern: Int32(truncatingIfNeeded: value)), to: &bytes)
                case .f64, .f32, .f16, .bf16: preconditionFailure("integer values in an \(tensor.dtype.rawValue) tensor")
                }
            }
        }
    }
}

private func appendLittleEndian<T: FixedWidthInteger & UnsignedInteger>(_ value: T, to bytes: inout [UInt8]) {
    for byteIndex in 0..<(T.bitWidth / 8) {
        bytes.append(UInt8(truncatingIfNeeded: value >> (8 * byteIndex)))
    }
}

private func quoted(_ name: String) -> String { JSONText.string(name) }

/// One tensor's header entry after validation: where its bytes are and how to read them.
private struct TensorLayout {
    let name: String
    let dtype: SafetensorsDType
    let shape: [Int]
    let count: Int
    let begin: Int
    let end: Int

    /// Validates one header entry against a data section of `dataLength` bytes.
    init(name: String, entry: JSONValue, dataLength: Int) throws {
        let label = "tensor \(quoted(name))"
        let object = try JSONObjectReader(
            entry, field: name, allowed: ["dtype", "shape", "data_offsets"],
            expected: "an object {\"dtype\", \"shape\", \"data_offsets\"}")
        let dtypeName = try object.required("dtype").string(field: object.fieldName("dtype"))
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            let supported = SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
            throw SafetensorsError("\(label) has dtype \(quoted(dtypeName)), which is not supported (supported: \(supported))")
        }
        let shapeValues = try object.required("shape").array(field: object.fieldName("shape"), of: "an array of integers")
        var shape: [Int] = []
        for (index, value) in shapeValues.enumerated() {
            let extent = try value.integer(field: "\(name).shape[\(index)]", what: "extent")
            guard extent >= 0 else {
                throw SafetensorsError("\(label) has a negative extent \(extent) in its shape")
            }
            shape.append(extent)
        }
        let offsets = try object.required("data_offsets").array(
            field: object.fieldName("data_offsets"), of: "an array [begin, end]")
        guard offsets.count == 2 else {
            throw SafetensorsError("\(label) has \(offsets.count) data_offsets, expected 2: [begin, end]")
        }
        let begin = try offsets[0].integer(field: "\(name).data_offsets[0]", what: "byte offset")
        let end = try offsets[1].integer(field: "\(name).data_offsets[1]", what: "byte offset")
        guard begin >= 0, end >= 0, begin <= end else {
            throw SafetensorsError("\(label) has data_offsets [\(begin), \(end)], expected 0 <= begin <= end")
        }
        guard end <= dataLength else {
            throw SafetensorsError(
                "\(label) has data_offsets [\(begin), \(end)] past the end of the data section (\(dataLength) bytes);"
                    + " the file may be truncated")
        }
        guard let count = SafetensorsTensor.elementCount(ofShape: shape) else {
            throw SafetensorsError("\(label) has shape \(shape), whose element count overflows")
        }
        let (byteSize, overflow) = count.multipliedReportingOverflow(by: dtype.byteCount)
        guard !overflow, byteSize == end - begin else {
            let expected = overflow ? "more than Int.max" : "\(byteSize)"
            throw SafetensorsError(
                "\(label) has shape \(shape) of \(dtype.rawValue), which needs \(expected) bytes, but its data_offsets"
                    + " [\(begin), \(end)] span \(end - begin)")
        }
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.count = count
        self.begin = begin
        self.end = end
    }

    /// Decodes the values; the caller has checked `begin..<end` lies inside `data`.
    func read(from data: UnsafeRawBufferPointer) -> SafetensorsTensor {
        // Hot loop: unaligned little-endian loads, since a tensor need not start aligned in the file.
        func load<T: FixedWidthInteger>(_ index: Int, as type: T.Type) -> T {
            T(littleEndian: data.loadUnaligned(fromByteOffset: begin + index * MemoryLayout<T>.size, as: T.self))
        }
        let values: SafetensorsTensor.Values
        switch dtype {
        case .f64: values = .floating((0..<count).map { Double(bitPattern: load($0, as: UInt64.self)) })
        case .f32: values = .floating((0..<count).map { Double(Float(bitPattern: load($0, as: UInt32.self))) })
        case .f16:
            values = .floating((0..<count).map { ReducedPrecision.double(fromFloat16Bits: load($0, as: UInt16.self)) })
        case .bf16:
            values = .floating((0..<count).map { ReducedPrecision.double(fromBFloat16Bits: load($0, as: UInt16.self)) })
        case .i64: values = .integer((0..<count).map { Int(load($0, as: Int64.self)) })
        case .i32: values = .integer((0..<count).map { Int(load($0, as: Int32.self)) })
        }
        return SafetensorsTensor(unchecked: dtype, shape: shape, values: values)
    }
}
