/// One tensor of a safetensors file: its dtype, shape, and values exactly as the file holds them.
///
/// Floating values are stored as Doubles already rounded to the dtype (round to nearest, ties to even),
/// so a tensor equals what reading its own serialization gives back; integer values are stored as Int.
/// Values are row-major (C order), the layout safetensors uses.
///
/// Mathematical properties:
/// - `values.count == shape.reduce(1, *)` (a scalar has shape [] and one value).
/// - Building a tensor rounds: an F64 tensor keeps every Double bit-identical; F32 keeps `Double(Float(x))`;
///   F16/BF16 keep the nearest representable value. A finite value that would round to infinity throws.
/// - Integer values fit the dtype (I32 throws outside Int32's range).
public struct SafetensorsTensor: Sendable, Equatable {
    /// The values, tagged by kind.
    public enum Values: Sendable, Equatable {
        case floating([Double])
        case integer([Int])

        public var count: Int {
            switch self {
            case let .floating(values): return values.count
            case let .integer(values): return values.count
            }
        }
    }

    public let dtype: SafetensorsDType
    public let shape: [Int]
    public let values: Values

    /// A floating-point tensor; `values` are rounded to `dtype`.
    ///
    /// Preconditions (programmer errors): `dtype` is floating, the shape is non-negative, and `values` has
    /// `shape.reduce(1, *)` entries. Throws when a finite value overflows `dtype` (e.g. 1e5 in F16).
    public init(dtype: SafetensorsDType = .f64, shape: [Int], doubles values: [Double]) throws(SafetensorsError) {
        precondition(dtype.isFloatingPoint, "SafetensorsTensor(doubles:) needs a floating dtype, got \(dtype.rawValue)")
        SafetensorsTensor.checkShape(shape, count: values.count)
        var rounded = [Double]()
        rounded.reserveCapacity(values.count)
        for (index, value) in values.enumerated() {
            let stored = SafetensorsTensor.round(value, to: dtype)
            if value.isFinite && !stored.isFinite {
                throw SafetensorsError(
                    "value \(value) at flat index \(index) is outside the finite range of \(dtype.rawValue)"
                        + " (largest finite \(SafetensorsTensor.greatestFinite(dtype)))")
            }
            rounded.append(stored)
        }
        self.init(unchecked: dtype, shape: shape, values: .floating(rounded))
    }

    /// An integer tensor.
    ///
    /// Preconditions (programmer errors): `dtype` is an integer dtype, the shape is non-negative, and
    /// `values` has `shape.reduce(1, *)` entries. Throws when a value does not fit `dtype`.
    public init(dtype: SafetensorsDType = .i64, shape: [Int], integers values: [Int]) throws(SafetensorsError) {
        precondition(!dtype.isFloatingPoint, "SafetensorsTensor(integers:) needs an integer dtype, got \(dtype.rawValue)")
        SafetensorsTensor.checkShape(shape, count: values.count)
        if dtype == .i32, let index = values.firstIndex(where: { Int32(exactly: $0) == nil }) {
            throw SafetensorsError("value \(values[index]) at flat index \(index) does not fit in I32")
        }
        self.init(unchecked: dtype, shape: shape, values: .integer(values))
    }

    /// A tensor whose values are known to be representable (they came from a file of that dtype).
    init(unchecked dtype: SafetensorsDType, shape: [Int], values: Values) {
        self.dtype = dtype
        self.shape = shape
        self.values = values
    }

    /// The values if the tensor is floating, else nil.
    public var doubles: [Double]? {
        if case let .floating(values) = values { return values }
        return nil
    }

    /// The values if the tensor holds integers, else nil.
    public var integers: [Int]? {
        if case let .integer(values) = values { return values }
        return nil
    }

    /// The number of elements, the product of the shape.
    public var elementCount: Int { values.count }

    /// The value the file will hold for `value` in a floating `dtype`.
    static func round(_ value: Double, to dtype: SafetensorsDType) -> Double {
        switch dtype {
        case .f64: return value
        case .f32: return Double(Float(value))  // Float.init(Double) rounds to nearest, ties to even
        case .f16: return ReducedPrecision.double(fromFloat16Bits: ReducedPrecision.float16Bits(from: value))
        case .bf16: return ReducedPrecision.double(fromBFloat16Bits: ReducedPrecision.bfloat16Bits(from: value))
        case .i64, .i32: preconditionFailure("\(dtype.rawValue) is not a floating dtype")
        }
    }

    static func greatestFinite(_ dtype: SafetensorsDType) -> Double {
        switch dtype {
        case .f64: return Double.greatestFiniteMagnitude
        case .f32: return Double(Float.greatestFiniteMagnitude)
        case .f16: return ReducedPrecision.float16GreatestFinite
        case .bf16: return ReducedPrecision.bfloat16GreatestFinite
        case .i64: return Double(Int64.max)
        case .i32: return Double(Int32.max)
        }
    }

    private static func checkShape(_ shape: [Int], count: Int) {
        precondition(shape.allSatisfy { $0 >= 0 }, "tensor shape \(shape) has a negative entry")
        precondition(elementCount(ofShape: shape) == count, "tensor of shape \(shape) given \(count) values")
    }

    /// The product of a non-negative shape, or nil if it overflows Int.
    static func elementCount(ofShape shape: [Int]) -> Int? {
        var product = 1
        for extent in shape {
            let (next, overflow) = product.multipliedReportingOverflow(by: extent)
            if overflow { return nil }
            product = next
        }
        return product
    }
}
