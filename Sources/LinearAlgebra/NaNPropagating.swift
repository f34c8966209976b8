/// Reductions whose result is NaN whenever an input is NaN, for the agreement and error statistics.
///
/// Swift's `max(a, b)` is `b >= a ? b : a`, so `max(0, .nan)` is 0 while `max(.nan, 0)` is NaN: a running
/// maximum silently forgets a NaN unless it comes first, and `Array.max()` depends on the order the same
/// way. A statistic of a diverged run must never come out as a clean number (an all-NaN run scoring
/// "agreement 0"), so every maximum, fraction and accuracy over values that may be NaN goes through here.
///
/// Mathematical properties:
/// - on NaN-free input each function equals its ordinary counterpart exactly (same operations, same order);
/// - any NaN input gives NaN, whatever its position.
public enum NaNPropagating {
    /// max(a, b), NaN if either is NaN. Equal to `Swift.max(a, b)` otherwise (including -0 vs +0).
    @inlinable
    public static func max(_ a: Double, _ b: Double) -> Double {
        if a.isNaN || b.isNaN { return .nan }
        return Swift.max(a, b)
    }

    /// The largest |x| (0 for no values), NaN if any value is NaN.
    @inlinable
    public static func maxAbs<S: Sequence>(_ values: S) -> Double where S.Element == Double {
        var result = 0.0
        for value in values { result = max(result, Swift.abs(value)) }
        return result
    }

    /// The largest |a_i - b_i| (0 for empty input), NaN if any difference is NaN.
    public static func maxAbsDifference(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "comparing \(a.count) values with \(b.count)")
        var result = 0.0
        for index in a.indices { result = max(result, Swift.abs(a[index] - b[index])) }
        return result
    }

    /// max_i |a_i - b_i| / max(1, |b_i|), the project's agreement measure (0 for empty input), NaN if any
    /// entry is NaN.
    public static func maxRelativeDifference(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "comparing \(a.count) values with \(b.count)")
        var result = 0.0
        for index in a.indices {
            result = max(result, Swift.abs(a[index] - b[index]) / Swift.max(1, Swift.abs(b[index])))
        }
        return result
    }

    /// The fraction of `values` for which `condition` holds: NaN for no values, and NaN when any value is
    /// NaN (a NaN is neither above nor below anything, so counting it as "not positive" would invent a figure).
    public static func fraction(_ values: [Double], where condition: (Double) -> Bool) -> Double {
        guard !values.isEmpty else { return .nan }
        var count = 0
        for value in values {
            if value.isNaN { return .nan }
            if condition(value) { count += 1 }
        }
        return Double(count) / Double(values.count)
    }

    /// Accuracy from margins: P[m > 0] + 1/2 P[m = 0] (ties count half). NaN for no margins or any NaN margin.
    public static func accuracy(margins: [Double]) -> Double {
        guard !margins.isEmpty else { return .nan }
        var score = 0.0
        for margin in margins {
            if margin.isNaN { return .nan }
            if margin > 0 { score += 1 } else if margin == 0 { score += 0.5 }
        }
        return score / Double(margins.count)
    }
}
