import Foundation

/// Locale-independent number formatting for reports, tables and SVG coordinates.
///
/// Reports are compared as golden files, so every number goes through here: the C-level `%e` / `%f`
/// conversions (never a `NumberFormatter`, never the user's locale), with the digits then placed by hand.
///
/// Mathematical properties:
/// - `significant(x, digits: s)` shows exactly s significant digits for finite nonzero x (trailing
///   zeros kept: "1.000"), correctly rounded; zero is "0"; NaN is "NaN"; infinities are "inf" / "-inf".
/// - Plain notation for decimal exponents -4 ... max(s, 6) - 1, otherwise "1.230e-7" style.
/// - Negative zero and values that round to zero never print a minus sign.
public enum NumberFormat {
    /// `x` with exactly `digits` significant digits (1 ... 17).
    public static func significant(_ x: Double, digits: Int = 4) -> String {
        precondition((1...17).contains(digits), "significant digits must be in 1...17, got \(digits)")
        if let special = nonFinite(x) { return special }
        if x == 0 { return "0" }
        // "%.{s-1}e" rounds correctly and tells the exponent after rounding (9.9996 -> 1.000e+01).
        let scientific = String(format: "%.\(digits - 1)e", abs(x))
        let parts = scientific.split(separator: "e")
        let mantissaDigits = parts[0].filter { $0 != "." }
        let exponent = Int(parts[1])!
        let sign = x < 0 ? "-" : ""
        if exponent < -4 || exponent >= max(digits, 6) {
            return sign + String(parts[0]) + "e\(exponent)"
        }
        if exponent < 0 {
            return sign + "0." + String(repeating: "0", count: -exponent - 1) + mantissaDigits
        }
        let integerCount = exponent + 1
        if mantissaDigits.count <= integerCount {
            return sign + mantissaDigits + String(repeating: "0", count: integerCount - mantissaDigits.count)
        }
        let integerPart = mantissaDigits.prefix(integerCount)
        let fractionPart = mantissaDigits.dropFirst(integerCount)
        return sign + integerPart + "." + fractionPart
    }

    /// `x` with exactly `decimals` digits after the decimal point (0 ... 17).
    public static func fixed(_ x: Double, decimals: Int) -> String {
        precondition((0...17).contains(decimals), "decimals must be in 0...17, got \(decimals)")
        if let special = nonFinite(x) { return special }
        let text = String(format: "%.\(decimals)f", x)
        return dropNegativeZero(text)
    }

    /// A compact coordinate for SVG attributes: at most two decimals, trailing zeros removed
    /// ("12.5", "100", "-3.25"). Non-finite input is a programmer error: callers drop such points first.
    static func coordinate(_ x: Double) -> String {
        precondition(x.isFinite, "an SVG coordinate must be finite, got \(x)")
        var text = String(format: "%.2f", x)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return dropNegativeZero(text)
    }

    private static func nonFinite(_ x: Double) -> String? {
        if x.isNaN { return "NaN" }
        if x == .infinity { return "inf" }
        if x == -.infinity { return "-inf" }
        return nil
    }

    /// "-0.00" -> "0.00": a value that rounds to zero carries no sign.
    private static func dropNegativeZero(_ text: String) -> String {
        guard text.hasPrefix("-"), text.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) else { return text }
        return String(text.dropFirst())
    }
}
