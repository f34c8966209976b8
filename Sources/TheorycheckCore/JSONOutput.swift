import Foundation

/// The JSON every command prints: sorted keys, pretty printed, property names in snake_case through the
/// encoder's key strategy (dictionary keys, such as evaluation-set names, are kept as they are).
///
/// A non-finite number is never written as a string: a value that can legitimately be undefined is an
/// optional (null) with a field saying why, and anything else non-finite is a `NonFiniteJSONError`
/// naming where it is, so a diverged figure can never pass as data.
public enum JSONOutput {
    public static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .throw
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch let EncodingError.invalidValue(number, context) {
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            throw NonFiniteJSONError(path: path.isEmpty ? "(top level)" : String(path.drop { $0 == "." }),
                                     value: "\(number)")
        }
    }
}

/// A figure that is not a finite number reached the JSON output.
public struct NonFiniteJSONError: Error, CustomStringConvertible {
    public let path: String
    public let value: String

    public var description: String {
        "the result holds a non-finite number (\(value)) at \(path); the run diverged or a figure is undefined, so no JSON was printed"
    }
}
