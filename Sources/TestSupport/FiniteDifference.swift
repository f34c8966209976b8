import LinearAlgebra

/// Central finite differences, the one gradient check every primitive and model goes through.
///
/// df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2h), error O(h^2) from truncation plus O(eps/h) from
/// rounding; h = 1e-5 balances the two for functions of unit scale (error about 1e-10 relative).
public enum FiniteDifference {
    public static let defaultStep = 1e-5

    /// The numerical gradient of `f` at `x`.
    public static func gradient(of f: ([Double]) -> Double, at x: [Double], step: Double = defaultStep) -> [Double] {
        var point = x
        var result = [Double](repeating: 0, count: x.count)
        for i in x.indices {
            let original = point[i]
            point[i] = original + step
            let up = f(point)
            point[i] = original - step
            let down = f(point)
            point[i] = original
            result[i] = (up - down) / (2 * step)
        }
        return result
    }

    /// The largest |analytic - numeric| / max(1, |numeric|) over all coordinates; NaN if any is NaN, so a
    /// broken gradient can never pass a `<` tolerance.
    public static func maxError(analytic: [Double], of f: ([Double]) -> Double, at x: [Double],
                                step: Double = defaultStep) -> Double
    {
        let numeric = gradient(of: f, at: x, step: step)
        precondition(numeric.count == analytic.count, "gradient has \(analytic.count) entries for \(x.count) inputs")
        return NaNPropagating.maxRelativeDifference(analytic, numeric)
    }
}
