/// Bit-level conversions between `Double` and the two 16-bit floating-point formats safetensors files use,
/// written out here rather than borrowed from the platform (`Float16` is missing on some targets and
/// there is no standard bfloat16 type).
///
/// - IEEE 754 binary16 ("F16", half): 1 sign bit, 5 exponent bits (bias 15), 10 fraction bits.
///   Largest finite 65504, smallest normal 2^-14, smallest subnormal 2^-24.
/// - bfloat16 ("BF16"): 1 sign bit, 8 exponent bits (bias 127), 7 fraction bits: the top half of an
///   IEEE binary32. Largest finite (2 - 2^-7) * 2^127, smallest subnormal 2^-133.
///
/// Both are instances of one parametrised binary format with E exponent and F fraction bits, bias
/// B = 2^(E-1) - 1. Decoding: exponent field e, fraction f:
///   e = 0:          (-1)^s * f * 2^(1 - B - F)              (zero and subnormals)
///   0 < e < 2^E-1:  (-1)^s * (2^F + f) * 2^(e - B - F)       (normals)
///   e = 2^E - 1:    (-1)^s * infinity if f = 0, else NaN.
/// Encoding rounds to nearest, ties to even, directly from the Double (not through Float, which could
/// round twice); magnitudes at or above (2 - 2^-(F+1)) * 2^B, halfway past the largest finite value,
/// become infinity; NaN becomes the quiet NaN with the input's sign.
///
/// Mathematical properties:
/// - Decoding is exact: every 16-bit pattern maps to the Double with exactly its value.
/// - `bits(from: double(fromBits: b)) == b` for every non-NaN pattern b (including -0, subnormals, inf).
/// - Encoding is correctly rounded (nearest, ties to even), sign-symmetric, and monotone.
public enum ReducedPrecision {
    /// The Double value of an IEEE binary16 bit pattern.
    public static func double(fromFloat16Bits bits: UInt16) -> Double {
        decode(UInt32(bits), exponentBits: 5, fractionBits: 10)
    }

    /// `value` rounded to IEEE binary16 (nearest, ties to even), as its bit pattern.
    public static func float16Bits(from value: Double) -> UInt16 {
        UInt16(encode(value, exponentBits: 5, fractionBits: 10))
    }

    /// The Double value of a bfloat16 bit pattern.
    public static func double(fromBFloat16Bits bits: UInt16) -> Double {
        decode(UInt32(bits), exponentBits: 8, fractionBits: 7)
    }

    /// `value` rounded to bfloat16 (nearest, ties to even), as its bit pattern.
    public static func bfloat16Bits(from value: Double) -> UInt16 {
        UInt16(encode(value, exponentBits: 8, fractionBits: 7))
    }

    /// The largest finite binary16 value, 65504.
    public static let float16GreatestFinite = double(fromFloat16Bits: 0x7BFF)
    /// The largest finite bfloat16 value, (2 - 2^-7) * 2^127.
    public static let bfloat16GreatestFinite = double(fromBFloat16Bits: 0x7F7F)

    // MARK: The parametrised format

    static func decode(_ bits: UInt32, exponentBits: Int, fractionBits: Int) -> Double {
        let sign: FloatingPointSign = (bits >> (exponentBits + fractionBits)) & 1 == 1 ? .minus : .plus
        let allOnes = UInt32((1 << exponentBits) - 1)
        let exponentField = (bits >> fractionBits) & allOnes
        let fraction = bits & UInt32((1 << fractionBits) - 1)
        let bias = (1 << (exponentBits - 1)) - 1
        if exponentField == allOnes {
            let magnitude: Double = fraction == 0 ? .infinity : .nan
            return sign == .minus ? -magnitude : magnitude
        }
        // Integer significand times a power of two: `Double(sign:exponent:significand:)` scales exactly.
        let integerSignificand: UInt32
        let exponent: Int
        if exponentField == 0 {
            integerSignificand = fraction
            exponent = 1 - bias - fractionBits
        } else {
            integerSignificand = (1 << fractionBits) | fraction
            exponent = Int(exponentField) - bias - fractionBits
        }
        return Double(sign: sign, exponent: exponent, significand: Double(integerSignificand))
    }

    static func encode(_ value: Double, exponentBits: Int, fractionBits: Int) -> UInt32 {
        let signBit: UInt32 = value.sign == .minus ? 1 << (exponentBits + fractionBits) : 0
        let allOnes = UInt32((1 << exponentBits) - 1)
        if value.isNaN {
            return signBit | (allOnes << fractionBits) | (1 << (fractionBits - 1))
        }
        let bias = (1 << (exponentBits - 1)) - 1
        let minimumExponent = 1 - bias
        let magnitude = value.magnitude
        // Halfway between the largest finite value (2 - 2^-F) * 2^B and 2^(B+1); a tie goes to the even
        // neighbour, which is 2^(B+1), i.e. infinity.
        let overflowThreshold = Double(
            sign: .plus, exponent: bias, significand: 2 - Double(sign: .plus, exponent: -(fractionBits + 1), significand: 1))
        if magnitude >= overflowThreshold {
            return signBit | (allOnes << fractionBits)
        }
        if magnitude < Double(sign: .plus, exponent: minimumExponent, significand: 1) {
            // Subnormal (or zero): count units of the smallest subnormal 2^(minimumExponent - F). The scaling
            // is by a power of two into the normal Double range, so exact; only the rounding is inexact.
            let units = Double(sign: .plus, exponent: fractionBits - minimumExponent, significand: magnitude)
            // A result of 2^F is the smallest normal, whose bit pattern is exactly 2^F: no special case.
            return signBit | UInt32(units.rounded(.toNearestOrEven))
        }
        // Normal: significand m in [1, 2); (m - 1) * 2^F is exact, and rounding it up to 2^F carries into
        // the exponent field, which is what the bit pattern addition does. No carry reaches infinity because
        // magnitude < overflowThreshold.
        let fraction = ((magnitude.significand - 1) * Double(1 << fractionBits)).rounded(.toNearestOrEven)
        let biasedExponent = UInt32(Int(magnitude.exponent) + bias)
        return signBit | ((biasedExponent << fractionBits) + UInt32(fraction))
    }
}
