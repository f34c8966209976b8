import Experiments
import Foundation
import RewardDynamics

/// The `--json` shape: the dynamics command's `checkpoints` (per step, rm type -> set -> metrics), plus
/// `prediction` (rm type -> {assumption1, ntk} -> {correlation, relative_error}: the median over steps
/// of the figures of each step, computed over all evaluation sequences), `trajectory` (the same per step, at the checkpoint steps), the
/// configuration and the pretraining figures.
public struct TinyLMDynamicsJSON: Encodable {
    let result: TinyLMDynamicsResult

    public init(_ result: TinyLMDynamicsResult) {
        self.result = result
    }

    struct DynamicKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    struct Checkpoint: Encodable {
        let step: Int
        let metrics: [String: [String: PairMetrics]]

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: DynamicKey.self)
            try container.encode(step, forKey: DynamicKey("step"))
            for (type, sets) in metrics { try container.encode(sets, forKey: DynamicKey(type)) }
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: DynamicKey.self)
        try container.encode(result.prediction, forKey: DynamicKey("prediction"))
        let steps = result.runs.first?.checkpoints.map(\.step) ?? []
        let checkpoints = steps.indices.map { index in
            Checkpoint(step: steps[index], metrics: Dictionary(uniqueKeysWithValues: result.runs.map {
                ($0.type.rawValue, $0.checkpoints[index].sets)
            }))
        }
        try container.encode(checkpoints, forKey: DynamicKey("checkpoints"))
        let trajectorySteps = Set(steps)
        var trajectory: [String: [StepAgreement]] = [:]
        for run in result.runs { trajectory[run.type.rawValue] = run.trajectory.filter { trajectorySteps.contains($0.step) } }
        try container.encode(trajectory, forKey: DynamicKey("trajectory"))
        try container.encode(result.configuration, forKey: DynamicKey("configuration"))
        try container.encode(result.pretraining, forKey: DynamicKey("pretraining"))
        try container.encode(result.evaluationSequences, forKey: DynamicKey("evaluation_sequences"))
    }
}

/// The `--json` shape over seeds: `seeds`; `prediction` (rm type -> {assumption1, ntk} ->
/// {correlation, relative_error} -> {mean, sd, min, max, per_seed}: the per-seed medians over steps, summarized);
/// `accuracy` (rm type -> set -> {mean, sd, min, max, per_seed} at the last step); and `per_seed`, one
/// `TinyLMDynamicsJSON` document per seed, in seed order.
public struct TinyLMDynamicsSeedsJSON: Encodable {
    let results: [TinyLMDynamicsResult]

    public init(_ results: [TinyLMDynamicsResult]) {
        self.results = results
    }

    struct Agreement: Encodable {
        let correlation: SeedSpread
        let relativeError: SeedSpread
    }

    enum CodingKeys: String, CodingKey {
        case seeds, prediction, accuracy
        case perSeed = "per_seed"
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(results.map(\.configuration.seed), forKey: .seeds)
        var prediction: [String: [String: Agreement]] = [:]
        var accuracy: [String: [String: SeedSpread]] = [:]
        for index in results[0].runs.indices {
            let runs = TinyLMDynamicsReport.runs(results, model: index)
            let type = runs[0].type.rawValue
            prediction[type] = [
                "assumption1": Agreement(correlation: runs.spread(\.assumption1.correlation),
                                         relativeError: runs.spread(\.assumption1.relativeError)),
                "ntk": Agreement(correlation: runs.spread(\.ntk.correlation), relativeError: runs.spread(\.ntk.relativeError)),
            ]
            accuracy[type] = Dictionary(uniqueKeysWithValues: PersonaDataset.setNames.map { set in
                (set, runs.spread { $0.checkpoints.last!.sets[set]!.accuracy })
            })
        }
        try container.encode(prediction, forKey: .prediction)
        try container.encode(accuracy, forKey: .accuracy)
        try container.encode(results.map(TinyLMDynamicsJSON.init), forKey: .perSeed)
    }
}
