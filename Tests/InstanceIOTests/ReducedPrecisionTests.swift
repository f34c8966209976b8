import InstanceIO
import LinearAlgebra
import TestSupport
import XCTest

final class ReducedPrecisionTests: XCTestCase {
    func testFloat16KnownBitPatterns() {
        let known: [(UInt16, Double)] = [
            (0x3C00, 1.0), (0xC000, -2.0), (0x7BFF, 65504), (0x0001, 0x1p-24), (0x03FF, 1023 * 0x1p-24),
            (0x0400, 0x1p-14), (0x3555, 0.333251953125), (0x0000, 0), (0x7C00, .infinity), (0xFC00, -.infinity),
        ]
        for (pattern, value) in known {
            XCTAssertEqual(ReducedPrecision.double(fromFloat16Bits: pattern), value, "0x\(String(pattern, radix: 16))")
            XCTAssertEqual(ReducedPrecision.float16Bits(from: value), pattern, "\(value)")
        }
        XCTAssertEqual(ReducedPrecision.double(fromFloat16Bits: 0x8000).bitPattern, (-0.0).bitPattern)
        XCTAssertEqual(ReducedPrecision.float16Bits(from: -0.0), 0x8000)
        XCTAssert(ReducedPrecision.double(fromFloat16Bits: 0x7E00).isNaN)
        XCTAssert(ReducedPrecision.double(fromFloat16Bits: 0x7C01).isNaN, "any nonzero fraction with exponent 31 is NaN")
        XCTAssertEqual(ReducedPrecision.float16Bits(from: .nan), 0x7E00)
        XCTAssertEqual(ReducedPrecision.float16Bits(from: -Double.nan), 0xFE00)
        XCTAssertEqual(ReducedPrecision.float16GreatestFinite, 65504)
    }

    func testBFloat16KnownBitPatterns() {
        let known: [(UInt16, Double)] = [
            (0x3F80, 1.0), (0xC000, -2.0), (0x0001, 0x1p-133), (0x0080, 0x1p-126), (0x4780, 65536),
            (0x7F7F, (2 - 0x1p-7) * 0x1p127), (0x7F80, .infinity), (0xFF80, -.infinity), (0x3EAB, 0.333984375),
        ]
        for (pattern, value) in known {
            XCTAssertEqual(ReducedPrecision.double(fromBFloat16Bits: pattern), value, "0x\(String(pattern, radix: 16))")
            XCTAssertEqual(ReducedPrecision.bfloat16Bits(from: value), pattern, "\(value)")
        }
        // 65504 = 1.1111111111 * 2^15 needs 10 fraction bits; bfloat16 has 7, so it rounds up to 2^16.
        XCTAssertEqual(ReducedPrecision.bfloat16Bits(from: 65504), 0x4780)
        XCTAssert(ReducedPrecision.double(fromBFloat16Bits: 0x7FC0).isNaN)
        XCTAssertEqual(ReducedPrecision.bfloat16Bits(from: .nan), 0x7FC0)
        XCTAssertEqual(ReducedPrecision.bfloat16Bits(from: -0.0), 0x8000)
    }

    func testRoundingIsToNearestWithTiesToEven() {
        let half: [(Double, UInt16)] = [
            (1 + 0x1p-11, 0x3C00),               // tie between 1 and 1 + 2^-10: even is 1
            (1 + 3 * 0x1p-11, 0x3C02),           // tie between 1 + 2^-10 (odd) and 1 + 2^-9 (even)
            (1 + 0x1p-11 + 0x1p-40, 0x3C01),     // just above the tie
            (65519.99, 0x7BFF),                  // below halfway to 2^16: largest finite
            (65520, 0x7C00),                     // halfway: ties to even, which is 2^16 = infinity
            (0x1p-25, 0x0000),                   // tie between 0 and the smallest subnormal: 0
            (0x1p-25 + 0x1p-60, 0x0001),
            (3 * 0x1p-25, 0x0002),               // tie between subnormals 1 (odd) and 2 (even)
            (1023.5 * 0x1p-24, 0x0400),          // largest subnormal + half a unit: ties up to the smallest normal
            (1e-30, 0x0000), (-1e-30, 0x8000), (1e300, 0x7C00), (-1e300, 0xFC00),
            (Double.leastNonzeroMagnitude, 0x0000),
        ]
        for (value, pattern) in half {
            XCTAssertEqual(ReducedPrecision.float16Bits(from: value), pattern, "F16 of \(value)")
        }
        let bfloat: [(Double, UInt16)] = [
            (1 + 0x1p-8, 0x3F80), (1 + 3 * 0x1p-8, 0x3F82), (1 + 0x1p-8 + 0x1p-50, 0x3F81),
            (0x1p-134, 0x0000), (3 * 0x1p-134, 0x0002), ((2 - 0x1p-8) * 0x1p127, 0x7F80),
            ((2 - 0x1p-8 - 0x1p-30) * 0x1p127, 0x7F7F), (1e300, 0x7F80),
        ]
        for (value, pattern) in bfloat {
            XCTAssertEqual(ReducedPrecision.bfloat16Bits(from: value), pattern, "BF16 of \(value)")
        }
    }

    /// Every one of the 2^16 patterns decodes exactly and encodes back to itself (NaNs to a NaN of the
    /// same sign), and decoding is strictly increasing over the positive finite patterns.
    func testEveryPatternRoundTripsAndDecodingIsMonotone() {
        for (name, decode, encode) in [
            ("F16", ReducedPrecision.double(fromFloat16Bits:), ReducedPrecision.float16Bits(from:)),
            ("BF16", ReducedPrecision.double(fromBFloat16Bits:), ReducedPrecision.bfloat16Bits(from:)),
        ] as [(String, (UInt16) -> Double, (Double) -> UInt16)] {
            var previous = -Double.infinity
            var failures = 0
            for raw in 0...UInt32(UInt16.max) {
                let pattern = UInt16(raw)
                let value = decode(pattern)
                if value.isNaN {
                    let back = encode(value)
                    if !decode(back).isNaN || (back & 0x8000) != (pattern & 0x8000) { failures += 1 }
                    continue
                }
                if encode(value) != pattern { failures += 1 }
                if pattern < 0x8000 {
                    if !(value > previous) { failures += 1 }
                    previous = value
                }
            }
            XCTAssertEqual(failures, 0, "\(name): patterns that do not round-trip or break monotonicity")
        }
    }

    /// Independent oracles: for doubles that are exactly Floats, bfloat16 rounding is the classic
    /// integer trick on the Float's bits; and where the platform has `Float16`, its conversion agrees.
    func testEncodingAgreesWithIndependentOracles() {
        var generator = SeededGenerator(seed: 5)
        var doubles: [Double] = []
        for _ in 0..<20_000 {
            // Floats spanning the whole exponent range, including subnormals.
            let float = Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()))
            if float.isFinite { doubles.append(Double(float)) }
        }
        var bfloatMismatches = 0
        for value in doubles {
            let bits = Float(value).bitPattern
            let expected = UInt16((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16)
            if ReducedPrecision.bfloat16Bits(from: value) != expected { bfloatMismatches += 1 }
        }
        XCTAssertEqual(bfloatMismatches, 0)

        #if !(os(macOS) && arch(x86_64))
        for _ in 0..<20_000 {
            // Doubles near the binary16 range, with all 52 fraction bits random, so rounding is exercised.
            let exponent = Int.random(in: -30...17, using: &generator)
            let value = Double(sign: Bool.random(using: &generator) ? .minus : .plus, exponent: exponent,
                               significand: Double.random(in: 1..<2, using: &generator))
            doubles.append(value)
        }
        var halfMismatches = 0
        for value in doubles where ReducedPrecision.float16Bits(from: value) != Float16(value).bitPattern {
            halfMismatches += 1
        }
        XCTAssertEqual(halfMismatches, 0)
        for raw in 0...UInt32(UInt16.max) {
            let platform = Double(Float16(bitPattern: UInt16(raw)))
            let ours = ReducedPrecision.double(fromFloat16Bits: UInt16(raw))
            if !(platform.isNaN && ours.isNaN) && platform.bitPattern != ours.bitPattern {
                XCTFail("0x\(String(raw, radix: 16)): \(ours) vs the platform's \(platform)")
                break
            }
        }
        #endif
    }
}
