/// Locale-independent number formatting for reports, tables and SVG coordinates.
///
/// Reports are compared as golden files, so every number goes through here, and nothing here calls
/// printf or Foundation formatting: on Linux `String(format:)` follows the process's C locale and prints
/// "0,5" under a decimal-comma locale. Instead the digits come from Swift's shortest round-trip decimal
/// form of the value (`Double.description`, which no locale affects) and are rounded and placed by hand.
///
/// Mathematical properties (tested):
/// - `significant(x, digits: s)` shows exactly s significant digits for finite nonzero x (trailing
///   zeros kept: "1.000"); zero is "0"; NaN is "NaN"; infinities are "inf" / "-inf".
/// - Rounding is half away from zero, applied to the shortest round-trip decimal digits of x. Ties are
///   thus decided on the decimal form people see (2.675 -> "2.68"), where printf would round the binary
///   value 2.67499999... down.
/// - Plain notation for decimal exponents -4 ... max(s, 6) - 1, otherwise "1.23e-7" style.
/// - Negative zero and values that round to zero never print a minus sign.
/// - The printed value parses back to within half a unit in the last printed digit.
public enum NumberFormat {
    /// `x` with exactly `digits` significant digits (1 ... 17).
    public static func significant(_ x: Double, digits: Int = 4) -> String {
        precondition((1...17).contains(digits), "significant digits must be in 1...17, got \(digits)")
        if let special = nonFinite(x) { return special }
        if x == 0 { return "0" }
        let rounded = DecimalDigits(abs(x)).rounded(keeping: digits)
        let sign = x < 0 ? "-" : ""
        let exponent = rounded.exponent
        if exponent < -4 || exponent >= max(digits, 6) {
            let shown = (0..<digits).map { rounded.digit(at: $0) }
            var mantissa = String(shown[0])
            if digits > 1 { mantissa += "." + shown.dropFirst().map(String.init).joined() }
            return sign + mantissa + "e\(exponent)"
        }
        return sign + rounded.plain(decimals: max(0, digits - 1 - exponent))
    }

    /// `x` with exactly `decimals` digits after the decimal point (0 ... 17).
    public static func fixed(_ x: Double, decimals: Int) -> String {
        precondition((0...17).contains(decimals), "decimals must be in 0...17, got \(decimals)")
        if let special = nonFinite(x) { return special }
        if x == 0 { return DecimalDigits.zero.plain(decimals: decimals) }
        let value = DecimalDigits(abs(x))
        // Keep the digits down to position 10^-decimals; digit i sits at 10^(exponent - i).
        let rounded = value.rounded(keeping: value.exponent + 1 + decimals)
        let text = rounded.plain(decimals: decimals)
        let isZero = rounded.digits.isEmpty
        return (x < 0 && !isZero ? "-" : "") + text
    }

    /// A compact coordinate for SVG attributes: at most two decimals, trailing zeros removed
    /// ("12.5", "100", "-3.25"). Non-finite input is a programmer error: callers drop such points first.
    static func coordinate(_ x: Double) -> String {
        precondition(x.isFinite, "an SVG coordinate must be finite, got \(x)")
        var text = fixed(x, decimals: 2)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }

    private static func nonFinite(_ x: Double) -> String? {
        if x.isNaN { return "NaN" }
        if x == .infinity { return "inf" }
        if x == -.infinity { return "-inf" }
        return nil
    }
}

/// A nonnegative decimal d0.d1d2... * 10^exponent, digits without leading or trailing zeros (empty for 0).
private struct DecimalDigits {
    var digits: [Int]
    var exponent: Int

    static let zero = DecimalDigits(digits: [], exponent: 0)

    init(digits: [Int], exponent: Int) {
        self.digits = digits
        self.exponent = exponent
    }

    /// The shortest round-trip digits of a finite, positive value, parsed from `description`
    /// ("12.5", "0.001", "1.2345e-05", "1e+16", "5e-324").
    init(_ value: Double) {
        let text = value.description
        let parts = text.split(separator: "e")
        let scale = parts.count > 1 ? Int(parts[1])! : 0
        let mantissa = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        let integerPart = Array(mantissa[0])
        let fractionPart = mantissa.count > 1 ? Array(mantissa[1]) : []
        var all = (integerPart + fractionPart).map { Int(String($0))! }
        // value = 0.(all) * 10^(integerPart.count + scale)
        var pointPosition = integerPart.count + scale
        while all.first == 0 {
            all.removeFirst()
            pointPosition -= 1
        }
        while all.last == 0 { all.removeLast() }
        digits = all
        exponent = pointPosition - 1
    }

    /// Digit i (position 10^(exponent - i)), zero past the stored digits.
    func digit(at index: Int) -> Int {
        index >= 0 && index < digits.count ? digits[index] : 0
    }

    /// Rounded half away from zero to the first `count` digits (count <= 0 keeps nothing above the
    /// rounding position, so the result is 0 or one unit there).
    func rounded(keeping count: Int) -> DecimalDigits {
        guard count < digits.count else { return self }
        if count < 0 { return .zero }
        let roundsUp = digits[count] >= 5
        var kept = Array(digits.prefix(count))
        var exponent = self.exponent
        if roundsUp {
            var index = kept.count - 1
            while index >= 0 && kept[index] == 9 {
                kept[index] = 0
                index -= 1
            }
            if index >= 0 {
                kept[index] += 1
            } else {
                // All nines (or nothing kept): carry into a new leading digit.
                kept.insert(1, at: 0)
                exponent += 1
            }
        }
        while kept.last == 0 { kept.removeLast() }
        return kept.isEmpty ? .zero : DecimalDigits(digits: kept, exponent: exponent)
    }

    /// Plain notation with exactly `decimals` fraction digits: "0.0220", "123.5", "100".
    func plain(decimals: Int) -> String {
        var text = ""
        let top = max(exponent, 0)
        for power in stride(from: top, through: 0, by: -1) {
            text += String(digit(at: exponent - power))
        }
        if decimals > 0 {
            text += "."
            for power in 1...decimals { text += String(digit(at: exponent + power)) }
        }
        return text
    }
}
