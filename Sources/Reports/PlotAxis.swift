import Foundation

/// How an axis maps data values to positions.
public enum AxisScale: Sendable, Equatable {
    case linear
    /// Base-10 logarithmic. Negative values are not drawn. A value of exactly 0 is drawn at `zeroAt`
    /// (which must be positive and below the smallest positive value) with the tick label "0", so
    /// training curves that start at step 0 keep their first point; with `zeroAt` nil, zeros are not
    /// drawn either. A small break mark on the axis between the "0" tick and the first labelled decade
    /// tells the reader that the gap is not to scale.
    case logarithmic(zeroAt: Double?)

    /// The scale that training curves over steps 0 ... T look best on: log x, step 0 drawn at x = 0.5
    /// (half a step before step 1, i.e. 0.3 decades to its left).
    public static let logarithmicSteps = AxisScale.logarithmic(zeroAt: 0.5)
}

/// One labelled tick.
public struct AxisTick: Sendable, Equatable {
    public let value: Double
    public let label: String

    public init(value: Double, label: String) {
        self.value = value
        self.label = label
    }
}

/// Tick positions and labels.
///
/// Properties (tested):
/// - Linear ticks are `k * step` for consecutive integers k, all inside [lower, upper], with step =
///   m * 10^e for m in {1, 2, 5}, the smallest such step not below (upper - lower) / targetCount, so
///   there are between floor(targetCount / 2.5) and targetCount + 1 of them; labels have just enough
///   decimals to tell them apart.
/// - Logarithmic ticks are m * 10^e inside [lower, upper], with m in {1, 2, 5} over at most 3.5 decades,
///   only powers of ten over more, and every k-th power of ten when there would be more than 10.
public enum AxisTicks {
    /// The "nice" step m * 10^e, m in {1, 2, 5}, closest above span / targetCount.
    public static func niceStep(span: Double, targetCount: Int) -> Double {
        precondition(span > 0 && span.isFinite, "tick span must be positive and finite, got \(span)")
        precondition(targetCount >= 1, "targetCount must be at least 1, got \(targetCount)")
        let raw = span / Double(targetCount)
        let magnitude = pow(10, floor(log10(raw)))
        let residual = raw / magnitude
        // The 1e-9 slack keeps a raw step of exactly 2 * 10^e from being rounded up to 5 * 10^e.
        let multiplier: Double = residual <= 1 + 1e-9 ? 1 : residual <= 2 + 1e-9 ? 2 : residual <= 5 + 1e-9 ? 5 : 10
        return multiplier * magnitude
    }

    /// Ticks at multiples of the nice step inside [lower, upper].
    public static func linear(from lower: Double, to upper: Double, targetCount: Int = 6) -> [AxisTick] {
        precondition(lower < upper, "tick range must have lower < upper, got \(lower) ... \(upper)")
        let step = niceStep(span: upper - lower, targetCount: targetCount)
        // Slack of a millionth of a step so that an end that is a multiple of the step up to rounding is kept.
        let first = Int((lower / step - 1e-6).rounded(.up))
        let last = Int((upper / step + 1e-6).rounded(.down))
        guard first <= last else { return [] }
        let decimals = max(0, -Int(floor(log10(step) + 1e-9)))
        let large = max(abs(Double(first) * step), abs(Double(last) * step)) >= 1e6
        return (first...last).map { k in
            let value = Double(k) * step
            let label = large ? NumberFormat.significant(value, digits: 3) : NumberFormat.fixed(value, decimals: min(decimals, 17))
            return AxisTick(value: value, label: label)
        }
    }

    /// Ticks at 1, 2, 5 times powers of ten inside [lower, upper] (both positive).
    public static func logarithmic(from lower: Double, to upper: Double) -> [AxisTick] {
        precondition(lower > 0 && lower < upper && upper.isFinite,
                     "log tick range must have 0 < lower < upper < inf, got \(lower) ... \(upper)")
        let decades = log10(upper / lower)
        let mantissas: [Double] = decades <= 3.5 ? [1, 2, 5] : [1]
        let firstExponent = Int(floor(log10(lower)))
        let lastExponent = Int(ceil(log10(upper)))
        let exponentStride = max(1, Int((Double(lastExponent - firstExponent) / 10).rounded(.up)))
        var ticks: [AxisTick] = []
        for exponent in stride(from: firstExponent, through: lastExponent, by: exponentStride) {
            for mantissa in mantissas {
                let value = mantissa * pow(10, Double(exponent))
                // Relative slack so that lower = 1 or upper = 500 themselves are kept despite rounding.
                if value >= lower * (1 - 1e-9) && value <= upper * (1 + 1e-9) {
                    ticks.append(AxisTick(value: value, label: NumberFormat.significant(value, digits: 1)))
                }
            }
        }
        return ticks
    }
}

/// A data range mapped onto a pixel range, with its ticks. Built once per plot from all drawn values.
struct PlotAxis {
    let scale: AxisScale
    /// The drawn data range (for logarithmic scales both ends are positive).
    let lower: Double
    let upper: Double
    let pixelStart: Double
    let pixelEnd: Double
    let ticks: [AxisTick]
    /// For a logarithmic axis with a drawn zero: where the break mark goes, in data units.
    let breakValue: Double?

    /// An axis covering `values` (non-finite ones ignored), or exactly `fixedRange` when given.
    init(values: [Double], scale: AxisScale, fixedRange: ClosedRange<Double>?, pixelStart: Double,
         pixelEnd: Double, targetTickCount: Int)
    {
        self.scale = scale
        self.pixelStart = pixelStart
        self.pixelEnd = pixelEnd
        switch scale {
        case .linear:
            var lower: Double
            var upper: Double
            let finite = values.filter(\.isFinite)
            if let fixedRange, fixedRange.lowerBound < fixedRange.upperBound {
                lower = fixedRange.lowerBound
                upper = fixedRange.upperBound
            } else if let low = finite.min(), let high = finite.max() {
                lower = low
                upper = high
                if lower == upper {
                    let pad = max(abs(lower), 1) * 0.5
                    lower -= pad
                    upper += pad
                }
                // Snap the ends outward to the tick grid, so the frame ends on labelled ticks.
                let step = AxisTicks.niceStep(span: upper - lower, targetCount: targetTickCount)
                lower = (lower / step).rounded(.down) * step
                upper = (upper / step).rounded(.up) * step
            } else {
                lower = 0
                upper = 1
            }
            self.lower = lower
            self.upper = upper
            ticks = AxisTicks.linear(from: lower, to: upper, targetCount: targetTickCount)
            breakValue = nil
        case .logarithmic(let zeroAt):
            let positive = values.filter { $0.isFinite && $0 > 0 }
            let drawsZero = zeroAt != nil && values.contains(0)
            var lower: Double
            var upper: Double
            if let fixedRange, fixedRange.lowerBound > 0, fixedRange.lowerBound < fixedRange.upperBound {
                lower = fixedRange.lowerBound
                upper = fixedRange.upperBound
            } else if let low = positive.min(), let high = positive.max() {
                lower = low
                upper = high
                if lower == upper {
                    lower /= 10.0.squareRoot()
                    upper *= 10.0.squareRoot()
                }
            } else {
                lower = drawsZero ? 10 * zeroAt! : 1
                upper = 10 * lower
            }
            // Ticks only from the smallest positive value up: none may sit between "0" and the data.
            var ticks = AxisTicks.logarithmic(from: lower, to: upper)
            var breakValue: Double? = nil
            if drawsZero, let zero = zeroAt {
                precondition(zero > 0, "zeroAt must be positive, got \(zero)")
                breakValue = (zero * lower).squareRoot()
                lower = min(lower, zero)
                ticks.insert(AxisTick(value: zero, label: "0"), at: 0)
            }
            // A margin of 0.04 decades keeps end markers off the frame.
            let margin = pow(10, 0.04)
            self.lower = lower / margin
            self.upper = upper * margin
            self.ticks = ticks
            self.breakValue = breakValue
        }
    }

    /// The pixel position of a data value, nil when the scale cannot draw it (NaN, infinite, or not
    /// positive on a logarithmic axis, except a zero that the axis draws at `zeroAt`).
    func position(of value: Double) -> Double? {
        guard value.isFinite else { return nil }
        let fraction: Double
        switch scale {
        case .linear:
            fraction = (value - lower) / (upper - lower)
        case .logarithmic(let zeroAt):
            var drawn = value
            if value == 0, let zeroAt { drawn = zeroAt }
            guard drawn > 0 else { return nil }
            fraction = log10(drawn / lower) / log10(upper / lower)
        }
        return pixelStart + fraction * (pixelEnd - pixelStart)
    }

    /// Whether a value lies inside the drawn range (so it is not clipped away).
    func contains(_ value: Double) -> Bool {
        guard let position = position(of: value) else { return false }
        let low = min(pixelStart, pixelEnd) - 1e-6
        let high = max(pixelStart, pixelEnd) + 1e-6
        return position >= low && position <= high
    }
}
