import Experiments
import Foundation
import RewardDynamics
import TheorycheckCore

/// The `--json` shape: the configuration, pretraining figures, pair counts and shared tokens, and per
/// reward model (`runs.<rm type>`) its learning rate, the median first-order agreement, and the
/// per-step first-order relative error (`first_order_by_step`, steps 1 ... T), the training loss before
/// each step (`losses`), and the checkpoints: actual and lazy metrics per set, the lazy error, the kernel drift, the cumulative parts
/// per set (`cumulative.<set>.<part>`), the actual margin change since step 0, and the step that ends
/// there (`step_change.<set>`: `parts`, `predicted` = their sum, `actual`).
public struct MechanismJSON: Encodable {
    let result: MechanismResult

    public init(_ result: MechanismResult) {
        self.result = result
    }

    struct StepChange: Encodable {
        let parts: MechanismBreakdown
        let predicted: Double
        let actual: Double
    }

    struct Checkpoint: Encodable {
        let checkpoint: MechanismCheckpoint
        let stepChange: [String: StepChange]?

        enum CodingKeys: String, CodingKey {
            case stepChange = "step_change"
        }

        func encode(to encoder: Encoder) throws {
            try checkpoint.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(stepChange, forKey: .stepChange)
        }
    }

    struct Run: Encodable {
        let learningRate: Double
        let firstOrder: PredictionAgreement
        let firstOrderByStep: [Double]
        let losses: [Double]
        let checkpoints: [Checkpoint]

        enum CodingKeys: String, CodingKey {
            case learningRate = "learning_rate"
            case firstOrder = "first_order"
            case firstOrderByStep = "first_order_by_step"
            case losses
            case checkpoints
        }
    }

    enum CodingKeys: String, CodingKey {
        case configuration, pretraining, runs
        case pairCounts = "pair_counts"
        case sharedTokens = "shared_tokens"
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(result.configuration, forKey: .configuration)
        try container.encode(result.pretraining, forKey: .pretraining)
        try container.encode(result.pairCounts, forKey: .pairCounts)
        try container.encode(result.sharedTokens, forKey: .sharedTokens)
        var runs: [String: Run] = [:]
        for run in result.runs {
            let checkpoints = run.checkpoints.map { checkpoint -> Checkpoint in
                guard checkpoint.step > 0 else { return Checkpoint(checkpoint: checkpoint, stepChange: nil) }
                let step = run.steps[checkpoint.step - 1]
                var change: [String: StepChange] = [:]
                for (set, parts) in step.predicted {
                    change[set] = StepChange(parts: parts, predicted: parts.total, actual: step.actual[set]!)
                }
                return Checkpoint(checkpoint: checkpoint, stepChange: change)
            }
            runs[run.type.rawValue] = Run(learningRate: run.learningRate, firstOrder: run.firstOrder,
                                          firstOrderByStep: run.steps.map(\.agreement.relativeError), losses: run.losses,
                                          checkpoints: checkpoints)
        }
        try container.encode(runs, forKey: .runs)
    }
}

/// The `--json` shape over seeds: `seeds`; `summary` (rm type -> `first_order_median_relative_error`,
/// `steps_beyond_first_order`, and per set the last checkpoint's `margin_change`,
/// `margin_change_beyond_first_order`, `accuracy`, `lazy_accuracy` and the first-order parts' `shares`
/// (part -> ...), each {mean, sd, min, max, per_seed}); and `per_seed`, one `MechanismJSON` document per seed, in
/// seed order.
public struct MechanismSeedsJSON: Encodable {
    let results: [MechanismResult]

    public init(_ results: [MechanismResult]) {
        self.results = results
    }

    struct SetSummary: Encodable {
        let marginChange: SeedSpread
        let marginChangeBeyondFirstOrder: SeedSpread
        let accuracy: SeedSpread
        let lazyAccuracy: SeedSpread
        let shares: [String: SeedSpread]
    }

    struct RunSummary: Encodable {
        let firstOrderMedianRelativeError: SeedSpread
        let stepsBeyondFirstOrder: SeedSpread
        let sets: [String: SetSummary]
    }

    enum CodingKeys: String, CodingKey {
        case seeds, summary
        case perSeed = "per_seed"
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(results.map(\.configuration.seed), forKey: .seeds)
        var summary: [String: RunSummary] = [:]
        for index in results[0].runs.indices {
            let runs = MechanismReport.runs(results, model: index)
            let last = runs.map { $0.checkpoints.last! }
            var sets: [String: SetSummary] = [:]
            for set in PersonaDataset.setNames {
                sets[set] = SetSummary(
                    marginChange: last.spread { $0.marginChange[set]! },
                    marginChangeBeyondFirstOrder: last.spread { $0.marginChangeBeyondFirstOrder[set]! },
                    accuracy: last.spread { $0.actual[set]!.accuracy }, lazyAccuracy: last.spread { $0.lazy[set]!.accuracy },
                    shares: Dictionary(uniqueKeysWithValues: MechanismPart.parts(of: runs[0].type).map { part in
                        (part.rawValue, last.spread { $0.cumulativeFirstOrder[set]!.share(of: part) })
                    }))
            }
            summary[runs[0].type.rawValue] = RunSummary(
                firstOrderMedianRelativeError: runs.spread(\.firstOrder.relativeError),
                stepsBeyondFirstOrder: last.spread { Double($0.stepsBeyondFirstOrder) }, sets: sets)
        }
        try container.encode(summary, forKey: .summary)
        try container.encode(results.map(MechanismJSON.init), forKey: .perSeed)
    }
}
