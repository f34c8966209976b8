/// Why `HardMarginSVM.solve` returned no answer. Non-separable data are not an error: they are the
/// `.nonSeparable` outcome, with a certificate.
public enum MaxMarginError: Error, Equatable, CustomStringConvertible {
    /// The matrix of rows cannot be used (no rows, a non-finite entry).
    case invalidInput(String)
    /// The solver's answer failed its KKT check; the report says which condition and by how much.
    case certificationFailed(method: MaxMarginMethod, report: KKTReport, tolerance: Double)
    /// The solver claimed the origin is (numerically) in conv{z_i}, but the recomputed distance
    /// |Z^T lambda| is above the stated bound.
    case nonSeparabilityUnconfirmed(method: MaxMarginMethod, residual: Double, bound: Double)
    /// The iteration cap was reached.
    case didNotConverge(method: MaxMarginMethod, iterations: Int)

    public var description: String {
        switch self {
        case let .invalidInput(message):
            return "max-margin input: \(message)"
        case let .certificationFailed(method, report, tolerance):
            return "max-margin (\(method.rawValue)): the solution failed its KKT check at relative tolerance "
                + "\(tolerance): \(report)"
        case let .nonSeparabilityUnconfirmed(method, residual, bound):
            return "max-margin (\(method.rawValue)): claimed non-separable, but the hull point has norm \(residual) "
                + "> bound \(bound)"
        case let .didNotConverge(method, iterations):
            return "max-margin (\(method.rawValue)): no convergence after \(iterations) iterations; raise "
                + "maximumIterations or check the data for near-duplicate rows"
        }
    }
}
