import Foundation

/// Checkpoint steps spaced evenly on a log scale, for quantities that move like log t (the EX-RM head's
/// norm and its direction's approach to u*).
///
/// Steps 0, then round(10^(j / perDecade)) for j = 0, 1, 2, ... below `steps`, then `steps`; duplicates
/// removed, ascending.
///
/// Mathematical properties: starts at 0, ends at `steps`, strictly increasing, and contains every power
/// of ten below `steps`; at most perDecade * log10(steps) + 2 entries.
public enum LogSpacedSteps {
    public static func steps(upTo steps: Int, perDecade: Int = 10) -> [Int] {
        precondition(steps >= 0, "steps must be non-negative, got \(steps)")
        precondition(perDecade >= 1, "perDecade must be at least 1, got \(perDecade)")
        var result: Set<Int> = [0, steps]
        var exponent = 0
        while true {
            let value = Int(pow(10, Double(exponent) / Double(perDecade)).rounded())
            if value >= steps { break }
            result.insert(value)
            exponent += 1
        }
        return result.sorted()
    }
}
