import Experiments
import Reports

extension SeedSpread {
    /// "mean ± sd (v0, v1, v2)" with `format` applied to the mean and each seed's value and `sdFormat`
    /// (default `format`) to the sd; one seed prints its value alone.
    func text(_ format: (Double) -> String, sd sdFormat: ((Double) -> String)? = nil) -> String {
        guard perSeed.count > 1 else { return format(mean) }
        let values: String = perSeed.map(format).joined(separator: ", ")
        let deviation: String = sdFormat.map { $0(sd) } ?? format(sd)
        return "\(format(mean)) ± \(deviation) (\(values))"
    }

    /// `text` with three significant digits.
    var significant: String { text { NumberFormat.significant($0, digits: 3) } }

    /// `text` with three decimals (accuracies).
    var fixed: String { text { NumberFormat.fixed($0, decimals: 3) } }
}

extension Array {
    /// The spread over the elements (seeds) of `figure` of each.
    func spread(_ figure: (Element) -> Double) -> SeedSpread {
        SeedSpread(map(figure))
    }
}

/// "seed 0" or "seeds 0, 1, 2": the seeds a multi-seed report is over.
func seedsLabel(_ seeds: [UInt64]) -> String {
    (seeds.count == 1 ? "seed " : "seeds ") + seeds.map(String.init).joined(separator: ", ")
}
