/// The text forms the instance writers emit: numbers that parse back bit-identical and escaped strings.
///
/// Mathematical properties:
/// - `number(x)` for finite x is a valid JSON number, and `Double(number(x))` has the same bit pattern as
///   x, including -0.0 and subnormals (Swift's `description` is the shortest round-tripping literal).
/// - `string(s)` is a valid JSON string that parses back to s.
enum JSONText {
    /// A finite Double as JSON. Non-finite values have no JSON form; validated instances never hold them.
    static func number(_ value: Double) -> String {
        precondition(value.isFinite, "JSON has no literal for \(value)")
        return value.description
    }

    /// `s` in double quotes, with `"`, `\` and control characters escaped; everything else raw UTF-8.
    static func string(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{00}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16, uppercase: true)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// `[a, b, c]` on one line.
    static func numberArray(_ values: some Sequence<Double>) -> String {
        "[" + values.map(number).joined(separator: ", ") + "]"
    }
}
