import RewardDynamics
import TheorycheckCore
import TinyLM

/// A statistic over seeds: mean, unbiased sd (0 for one seed), the extremes and every seed's value (in
/// seed order), so a reader sees whether a mean hides a split between seeds.
public struct SeedSpread: Codable, Equatable, Sendable {
    public let mean: Double
    public let sd: Double
    public let min: Double
    public let max: Double
    public let perSeed: [Double]

    public init(_ values: [Double]) {
        let moments = MeanAndSpread(values)
        mean = moments.mean
        sd = moments.sd
        min = values.min()!
        max = values.max()!
        perSeed = values
    }
}

/// One reward model's metrics on the four Persona sets after `epoch` passes over the training pairs.
public struct PersonaEpochCheckpoint: Codable, Equatable, Sendable {
    public let epoch: Int
    /// Set name (`PersonaDataset.setNames`) -> metrics.
    public let sets: [String: PairMetrics]
}

/// An IM-RM's reward on the two paraphrase sets split into template and answer tokens, after `epoch` epochs.
public struct PersonaRewardSplitCheckpoint: Codable, Equatable, Sendable {
    public let epoch: Int
    /// "paraphrase" and "paraphrase_test" -> the split.
    public let sets: [String: ImplicitRewardSplit]
}

/// One reward model trained on one seed's backbone after one pretraining length.
public struct PersonaSensitivityRun: Codable, Equatable, Sendable {
    public let seed: UInt64
    public let pretrainingSteps: Int
    public let type: RewardModelKind
    /// At epoch 0 and every epoch of `PersonaSensitivityConfiguration.evaluatedEpochs`.
    public let checkpoints: [PersonaEpochCheckpoint]
    /// Entry e - 1: the mean training loss of epoch e's batches, each taken before its update.
    public let epochLosses: [Double]
    /// For the IM-RMs, at every checkpoint: the paraphrase rewards split into template and answer
    /// tokens. Empty for the other types.
    public let rewardSplits: [PersonaRewardSplitCheckpoint]

    /// Reads a Persona run whose checkpoints fall on epoch boundaries.
    init(_ run: PersonaRun, pretrainingSteps: Int, stepsPerEpoch: Int, rewardSplits: [PersonaRewardSplitCheckpoint]) {
        precondition(run.checkpoints.allSatisfy { $0.step % stepsPerEpoch == 0 },
                     "every checkpoint must fall on an epoch boundary of \(stepsPerEpoch) steps")
        precondition(run.losses.count % stepsPerEpoch == 0, "\(run.losses.count) steps is not a whole number of epochs")
        seed = run.seed
        self.pretrainingSteps = pretrainingSteps
        type = run.type
        checkpoints = run.checkpoints.map { PersonaEpochCheckpoint(epoch: $0.step / stepsPerEpoch, sets: $0.sets) }
        self.rewardSplits = rewardSplits
        epochLosses = stride(from: 0, to: run.losses.count, by: stepsPerEpoch).map { start in
            run.losses[start..<(start + stepsPerEpoch)].reduce(0, +) / Double(stepsPerEpoch)
        }
    }

    /// The metrics of set `set` after `epoch` epochs (an evaluated epoch).
    public func metrics(_ set: String, epoch: Int) -> PairMetrics {
        guard let checkpoint = checkpoints.first(where: { $0.epoch == epoch }), let metrics = checkpoint.sets[set] else {
            preconditionFailure("no checkpoint at epoch \(epoch) for set \(set)")
        }
        return metrics
    }

    /// The IM-RM's split on set `set` after `epoch` epochs; nil for the other types.
    public func rewardSplit(_ set: String, epoch: Int) -> ImplicitRewardSplit? {
        rewardSplits.first { $0.epoch == epoch }?.sets[set]
    }
}

/// One seed's backbone after one pretraining length, before any reward training.
public struct PersonaBackbone: Codable, Equatable, Sendable {
    public let seed: UInt64
    public let pretrainingSteps: Int
    /// The mean next-token loss on the held-out documents.
    public let heldOutLoss: Double
    public let similarity: RepresentationSimilarity
}

/// Everything a Persona sensitivity study produced.
public struct PersonaSensitivityResult: Codable, Equatable, Sendable {
    public let configuration: PersonaSensitivityConfiguration
    /// Seed-major, pretraining lengths ascending within a seed.
    public let backbones: [PersonaBackbone]
    /// Seed-major, then pretraining length, then reward models in configuration order.
    public let runs: [PersonaSensitivityRun]
    /// Training pairs and evaluation pairs per set (the same for every seed).
    public let pairCounts: [String: Int]
    /// Adam steps per epoch.
    public let stepsPerEpoch: Int

    public var seeds: [UInt64] { configuration.base.seeds }
    public var rewardModels: [RewardModelKind] { configuration.base.rewardModels }

    /// The runs of one reward model after one pretraining length, in seed order.
    public func runs(_ type: RewardModelKind, pretrainingSteps: Int) -> [PersonaSensitivityRun] {
        let selected = runs.filter { $0.type == type && $0.pretrainingSteps == pretrainingSteps }
        precondition(selected.count == seeds.count, "no runs of \(type.rawValue) after \(pretrainingSteps) pretraining steps")
        return selected
    }

    /// The backbones of one pretraining length, in seed order.
    public func backbones(pretrainingSteps: Int) -> [PersonaBackbone] {
        backbones.filter { $0.pretrainingSteps == pretrainingSteps }
    }

    /// Accuracy on `set` after `epoch` epochs, over seeds.
    public func accuracy(_ type: RewardModelKind, pretrainingSteps: Int, epoch: Int, set: String) -> SeedSpread {
        SeedSpread(runs(type, pretrainingSteps: pretrainingSteps).map { $0.metrics(set, epoch: epoch).accuracy })
    }

    /// The mean training loss of epoch `epoch` (1 or more), over seeds.
    public func trainingLoss(_ type: RewardModelKind, pretrainingSteps: Int, epoch: Int) -> SeedSpread {
        precondition(epoch >= 1, "epoch \(epoch) has no training loss; epochs count from 1")
        return SeedSpread(runs(type, pretrainingSteps: pretrainingSteps).map { $0.epochLosses[epoch - 1] })
    }

    /// One figure of one view of the representation similarity after `pretrainingSteps`, over seeds.
    public func similarity(pretrainingSteps: Int, view: String, centered: Bool, _ figure: KeyPath<StanceCosines, Double>)
        -> SeedSpread
    {
        SeedSpread(backbones(pretrainingSteps: pretrainingSteps).map {
            $0.similarity.view(view).cosines(centered: centered)[keyPath: figure]
        })
    }

    /// The held-out next-token loss after `pretrainingSteps`, over seeds.
    public func heldOutLoss(pretrainingSteps: Int) -> SeedSpread {
        SeedSpread(backbones(pretrainingSteps: pretrainingSteps).map(\.heldOutLoss))
    }
}
