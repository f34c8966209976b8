import RewardDynamics
import TheorycheckCore
import TinyLM

/// The four evaluation sets' metrics at one step of one reward model's training.
public struct PersonaCheckpoint: Codable, Equatable, Sendable {
    public let step: Int
    /// Set name -> metrics.
    public let sets: [String: PairMetrics]
}

/// One reward model trained on one seed's backbone and data.
public struct PersonaRun: Codable, Equatable, Sendable {
    public let seed: UInt64
    public let type: RewardModelKind
    /// Step 0, a log-spaced grid of steps, and the last step.
    public let checkpoints: [PersonaCheckpoint]
    /// The training loss of every step's batch, before that step's update.
    public let losses: [Double]

    /// The metrics after the last step.
    public var final: [String: PairMetrics] { checkpoints.last!.sets }
}

/// What pretraining reached on one seed: the held-out next-token loss before and after.
public struct PretrainingSummary: Codable, Equatable, Sendable {
    public let seed: UInt64
    public let heldOutLossBefore: Double
    public let heldOutLossAfter: Double
    /// The loss of a model that knew the grammar exactly would still be above 0: documents are random.
    public let vocabularySize: Int
}

/// Mean and spread over seeds of one set's final metrics: the cell of the `--json` output.
public struct PersonaSetSummary: Codable, Equatable, Sendable {
    public let accuracy: MeanAndSpread
    /// mean |r+ - r-| / (sd of all rewards + 1e-8): a scale-free size that ignores sign.
    public let normalizedMargin: MeanAndSpread
    /// mean (r+ - r-), signed, in reward units (what TRL logs as the reward margin).
    public let meanMargin: MeanAndSpread
}

/// Everything a Persona run produced.
public struct PersonaResult: Codable, Equatable, Sendable {
    public let configuration: PersonaConfiguration
    public let pretraining: [PretrainingSummary]
    /// Seed-major, reward models in configuration order within a seed.
    public let runs: [PersonaRun]
    /// Training pairs and evaluation pairs per set (the same for every seed).
    public let pairCounts: [String: Int]

    /// rm type -> set -> mean and sd over seeds of the final accuracy and normalized margin: exactly the
    /// `--json` shape of the issue.
    public var summary: [String: [String: PersonaSetSummary]] {
        var result: [String: [String: PersonaSetSummary]] = [:]
        for type in configuration.rewardModels {
            let runs = self.runs.filter { $0.type == type }
            var sets: [String: PersonaSetSummary] = [:]
            for name in PersonaDataset.setNames {
                sets[name] = PersonaSetSummary(
                    accuracy: MeanAndSpread(runs.map { $0.final[name]!.accuracy }),
                    normalizedMargin: MeanAndSpread(runs.map { $0.final[name]!.normalizedMargin }),
                    meanMargin: MeanAndSpread(runs.map { $0.final[name]!.meanMargin }))
            }
            result[type.rawValue] = sets
        }
        return result
    }

    /// The paper's reported accuracy (Sec. 5.1, docs/theory.md §6) for a type and set, where it gives one.
    public static func paperAccuracy(_ type: RewardModelKind, _ set: String) -> Double? {
        switch (type, set) {
        case (.explicit, _): return 1.00
        case (.implicit, "train"), (.implicit, "test"): return 1.00
        case (.implicit, "paraphrase"): return 0.022
        case (.implicit, "paraphrase_test"): return 0.019
        default: return nil
        }
    }
}

extension PretrainingSummary {
    /// The figures of `result`, a pretraining of seed `seed` over `vocabularySize` tokens.
    init(seed: UInt64, _ result: PretrainingResult, vocabularySize: Int) {
        self.init(seed: seed, heldOutLossBefore: result.heldOutLossBefore, heldOutLossAfter: result.heldOutLossAfter,
                  vocabularySize: vocabularySize)
    }
}
