/// The runs of the Hamiltonian experiment on several seeds and the spread of their headline figures:
/// every figure a report quotes from a trained model is a mean over these seeds with its sd (unbiased,
/// 0 for one seed) and every seed's own value.
///
/// Properties (tested): one run per seed of the config, in seed order; every spread's `perSeed` lists the
/// runs' own values in that order; a spread over a figure some run lacks (no validation split, every
/// test graph also a training graph, too many cycles to sum exactly) is nil, never NaN.
public struct HamiltonianSeedsResult: Sendable, Equatable, Codable {
    public let config: HamiltonianExperimentConfig
    public let runs: [HamiltonianExperimentResult]

    public let implicitTestAccuracy: SeedSpread
    public let implicitTestUnseenAccuracy: SeedSpread?
    public let implicitValidationAccuracy: SeedSpread?
    public let explicitTestAccuracy: SeedSpread
    public let explicitTestUnseenAccuracy: SeedSpread?
    public let explicitValidationAccuracy: SeedSpread?
    /// The IM-RM's policy after training: the sampled valid fraction and the exact pi(C | x).
    public let generationValidFractionAfter: SeedSpread
    public let validMassAfter: SeedSpread?
    public let validMassBefore: SeedSpread?

    enum CodingKeys: String, CodingKey {
        case config, runs
        case implicitTestAccuracy = "im_rm_test_accuracy"
        case implicitTestUnseenAccuracy = "im_rm_test_unseen_accuracy"
        case implicitValidationAccuracy = "im_rm_validation_accuracy"
        case explicitTestAccuracy = "ex_rm_test_accuracy"
        case explicitTestUnseenAccuracy = "ex_rm_test_unseen_accuracy"
        case explicitValidationAccuracy = "ex_rm_validation_accuracy"
        case generationValidFractionAfter = "im_rm_generation_valid_fraction_after"
        case validMassAfter = "im_rm_valid_probability_mass_after"
        case validMassBefore = "im_rm_valid_probability_mass_before"
    }

    public init(config: HamiltonianExperimentConfig, runs: [HamiltonianExperimentResult]) {
        precondition(!runs.isEmpty && runs.map(\.config.seed) == config.seeds,
                     "one run per seed of the config, in order: \(config.seeds) vs \(runs.map(\.config.seed))")
        self.config = config
        self.runs = runs
        implicitTestAccuracy = SeedSpread(runs.map(\.implicitReward.test.accuracy))
        implicitTestUnseenAccuracy = Self.spread(runs.map { $0.implicitReward.testUnseen?.accuracy })
        implicitValidationAccuracy = Self.spread(runs.map { $0.implicitReward.validation?.accuracy })
        explicitTestAccuracy = SeedSpread(runs.map(\.explicitReward.test.accuracy))
        explicitTestUnseenAccuracy = Self.spread(runs.map { $0.explicitReward.testUnseen?.accuracy })
        explicitValidationAccuracy = Self.spread(runs.map { $0.explicitReward.validation?.accuracy })
        generationValidFractionAfter = SeedSpread(runs.map { $0.implicitReward.generationAfter?.validFraction ?? 0 })
        validMassAfter = Self.spread(runs.map(\.implicitReward.validMassAfter))
        validMassBefore = Self.spread(runs.map(\.implicitReward.validMassBefore))
    }

    /// Every field, a missing spread as JSON null (the key is always there).
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(config, forKey: .config)
        try container.encode(runs, forKey: .runs)
        try container.encode(implicitTestAccuracy, forKey: .implicitTestAccuracy)
        try container.encode(explicitTestAccuracy, forKey: .explicitTestAccuracy)
        try container.encode(generationValidFractionAfter, forKey: .generationValidFractionAfter)
        let optional: [(SeedSpread?, CodingKeys)] = [
            (implicitTestUnseenAccuracy, .implicitTestUnseenAccuracy), (implicitValidationAccuracy, .implicitValidationAccuracy),
            (explicitTestUnseenAccuracy, .explicitTestUnseenAccuracy), (explicitValidationAccuracy, .explicitValidationAccuracy),
            (validMassAfter, .validMassAfter), (validMassBefore, .validMassBefore),
        ]
        for (spread, key) in optional {
            if let spread { try container.encode(spread, forKey: key) } else { try container.encodeNil(forKey: key) }
        }
    }

    /// The spread of a figure every run has, nil when one lacks it.
    private static func spread(_ values: [Double?]) -> SeedSpread? {
        let present = values.compactMap { $0 }
        return present.count == values.count ? SeedSpread(present) : nil
    }
}
