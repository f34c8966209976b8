import LinearAlgebra
import RewardDynamics

/// How well predicted reward changes match the actual ones: the Pearson correlation and the relative
/// error ||predicted - actual|| / ||actual|| (both over the same list of changes).
///
/// Mathematical properties: a perfect prediction has correlation 1 and relative error 0; predicting 0
/// everywhere has relative error exactly 1; correlation is undefined (NaN) when either side is constant;
/// a NaN on either side makes both figures NaN (never a relative error of 0).
public struct PredictionAgreement: Codable, Equatable, Sendable {
    public let correlation: Double
    public let relativeError: Double

    public init(correlation: Double, relativeError: Double) {
        self.correlation = correlation
        self.relativeError = relativeError
    }

    public init(predicted: [Double], actual: [Double]) {
        precondition(predicted.count == actual.count, "\(predicted.count) predictions for \(actual.count) changes")
        let n = Double(predicted.count)
        let meanP = predicted.reduce(0, +) / n
        let meanA = actual.reduce(0, +) / n
        var covariance = 0.0
        var varianceP = 0.0
        var varianceA = 0.0
        var errorSquared = 0.0
        var actualSquared = 0.0
        for (p, a) in zip(predicted, actual) {
            covariance += (p - meanP) * (a - meanA)
            varianceP += (p - meanP) * (p - meanP)
            varianceA += (a - meanA) * (a - meanA)
            errorSquared += (p - a) * (p - a)
            actualSquared += a * a
        }
        if predicted.contains(where: \.isNaN) || actual.contains(where: \.isNaN) {
            correlation = .nan
            relativeError = .nan
            return
        }
        correlation = varianceP > 0 && varianceA > 0 ? covariance / (varianceP * varianceA).squareRoot() : .nan
        relativeError = actualSquared > 0 ? (errorSquared / actualSquared).squareRoot() : (errorSquared > 0 ? .infinity : 0)
    }

    /// The median over steps of each figure (NaNs left out): every step counts the same, however large
    /// its changes. (Pooling all steps' changes instead lets the first, largest steps decide alone.)
    public static func median(of steps: [PredictionAgreement]) -> PredictionAgreement {
        func median(_ values: [Double]) -> Double {
            let sorted = values.filter { !$0.isNaN }.sorted()
            guard !sorted.isEmpty else { return .nan }
            let middle = sorted.count / 2
            return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        }
        return PredictionAgreement(correlation: median(steps.map(\.correlation)),
                                   relativeError: median(steps.map(\.relativeError)))
    }
}
