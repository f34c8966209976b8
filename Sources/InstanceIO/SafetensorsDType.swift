/// The element types this project reads and writes in safetensors files, by their header names.
///
/// Floating types widen to Double on reading (exactly: every F32/F16/BF16 value is a Double); integer
/// types (for token ids) read as Int. All are little-endian in the file.
public enum SafetensorsDType: String, Sendable, CaseIterable, Codable {
    case f64 = "F64"
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"
    case i64 = "I64"
    case i32 = "I32"

    /// Bytes per element.
    public var byteCount: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16: return 2
        }
    }

    public var isFloatingPoint: Bool {
        switch self {
        case .f64, .f32, .f16, .bf16: return true
        case .i64, .i32: return false
        }
    }

    /// The floating dtypes, as a list for messages: "F64, F32, F16, BF16".
    static let floatingNames = allCases.filter(\.isFloatingPoint).map(\.rawValue).joined(separator: ", ")
    /// The integer dtypes, as a list for messages: "I64, I32".
    static let integerNames = allCases.filter { !$0.isFloatingPoint }.map(\.rawValue).joined(separator: ", ")
}
