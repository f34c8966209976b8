import TheorycheckCore

/// Minimum, quartiles and maximum of a sample, the summary the paper reports for inner products with
/// u* and cosines on real hidden states.
///
/// Quantile q of the sorted sample x_(0) <= ... <= x_(n-1) is read at position p = q (n - 1) with linear
/// interpolation, x_(floor p) + (p - floor p)(x_(floor p + 1) - x_(floor p)) (Hyndman & Fan's type 7,
/// the default of R and NumPy). An empty sample gives NaN everywhere (null in JSON, beside `count` 0),
/// and so does a sample containing a NaN (a summary of a diverged run is never a number; `count` still
/// counts every value).
///
/// Mathematical properties:
/// - min <= q1 <= median <= q3 <= max, and all lie in [min, max] (NaN-free samples);
/// - any NaN in the sample makes all five figures NaN;
/// - one value v gives v five times; the median of an odd sample is its middle element;
/// - invariant under permutation of the sample; shifting or positively scaling the sample does the
///   same to every figure.
public struct FiveNumberSummary: Sendable, Equatable, Encodable {
    public let count: Int
    public let minimum: Double
    public let lowerQuartile: Double
    public let median: Double
    public let upperQuartile: Double
    public let maximum: Double

    enum CodingKeys: String, CodingKey {
        case count
        case minimum = "min"
        case lowerQuartile = "q1"
        case median
        case upperQuartile = "q3"
        case maximum = "max"
    }

    public init<S: Sequence>(_ values: S) where S.Element == Double {
        let all = Array(values)
        let hasNaN = all.contains(where: \.isNaN)
        let sorted = hasNaN ? [] : all.sorted()
        count = all.count
        func quantile(_ q: Double) -> Double {
            guard !sorted.isEmpty else { return .nan }
            let position = q * Double(sorted.count - 1)
            let lower = Int(position.rounded(.down))
            let upper = min(lower + 1, sorted.count - 1)
            let fraction = position - Double(lower)
            return fraction == 0 ? sorted[lower] : sorted[lower] + fraction * (sorted[upper] - sorted[lower])
        }
        minimum = quantile(0)
        lowerQuartile = quantile(0.25)
        median = quantile(0.5)
        upperQuartile = quantile(0.75)
        maximum = quantile(1)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(count, forKey: .count)
        try container.encodeFigure(minimum, forKey: .minimum)
        try container.encodeFigure(lowerQuartile, forKey: .lowerQuartile)
        try container.encodeFigure(median, forKey: .median)
        try container.encodeFigure(upperQuartile, forKey: .upperQuartile)
        try container.encodeFigure(maximum, forKey: .maximum)
    }

    /// The five figures in order (min, q1, median, q3, max).
    public var figures: [Double] { [minimum, lowerQuartile, median, upperQuartile, maximum] }
}
