import LinearAlgebra

/// Accuracy from pair margins m = r+ - r-: P[m > 0] + 1/2 P[m = 0], the project's accuracy with ties
/// counted half (docs/theory.md §1), for callers that hold margins rather than per-sequence rewards.
///
/// Mathematical properties: in [0, 1]; all margins exactly 0 gives exactly 0.5; NaN for no pairs and
/// for any NaN margin (`NaNPropagating.accuracy`); equal to `PairMetrics.accuracy` on the same pairs.
public enum MarginAccuracy {
    public static func accuracy(_ margins: [Double]) -> Double {
        NaNPropagating.accuracy(margins: margins)
    }
}
