import Foundation
import RewardDynamics
import TheorycheckCore
import TinyLM

/// How the Persona headline (docs/theory.md §6) depends on the backbone: paraphrase accuracy of every
/// reward model over pretraining lengths x reward-training epochs x seeds, beside how similar each
/// backbone's representations of paraphrases and originals are (`RepresentationSimilarity`).
///
/// Nested, so the grid costs little more than its largest cell: per seed, one pretraining run of
/// max(pretrainingSteps) steps is snapshotted at every grid length (`Pretraining.run(...snapshotsAt:)`);
/// per (seed, snapshot, reward model) one reward-training run of max(epochs) epochs is evaluated at
/// every grid epoch (`PersonaExperiment.trainRewardModel`). Every piece is Persona's own: data,
/// pretraining and reward training are the `PersonaExperiment` code paths.
///
/// Seeds pretrain in parallel, then every (seed, snapshot, reward model) run is one job of a second
/// parallel map (`threads`); each job depends only on its seed, so the result does not depend on the
/// thread count. Nothing is cached on disk.
public struct PersonaSensitivityExperiment: Sendable {
    public let configuration: PersonaSensitivityConfiguration
    public let persona: PersonaExperiment

    public init(configuration: PersonaSensitivityConfiguration, grammar: Grammar) throws {
        try configuration.validate()
        self.configuration = configuration
        persona = try PersonaExperiment(configuration: configuration.persona, grammar: grammar)
    }

    /// One seed's data and the backbone at each pretraining length.
    private struct PretrainedSeed: Sendable {
        let dataset: PersonaDataset
        let models: [TinyLM]
        let backbones: [PersonaBackbone]
    }

    /// Pretrains one seed once, snapshotting every grid length, and measures each snapshot.
    private func pretrainSeed(_ seed: UInt64) throws -> PretrainedSeed {
        let dataset = try persona.dataset(seed: seed)
        let grid = configuration.pretrainingSteps
        let (pretrained, _) = try persona.pretrain(seed: seed, snapshotsAt: grid)
        var backbones: [PersonaBackbone] = []
        for snapshot in pretrained.snapshots {
            backbones.append(PersonaBackbone(
                seed: seed, pretrainingSteps: snapshot.steps, heldOutLoss: snapshot.heldOutLoss,
                similarity: try RepresentationSimilarity.measure(backbone: snapshot.model, dataset: dataset)))
        }
        return PretrainedSeed(dataset: dataset, models: pretrained.snapshots.map(\.model), backbones: backbones)
    }

    /// Runs the whole grid; `progress` is called (from any thread) with a line as each stage finishes.
    public func run(progress: (@Sendable (String) -> Void)? = nil) throws -> PersonaSensitivityResult {
        BLASThreads.useSingleThread()  // small products: one BLAS thread each, parallel runs instead
        let seeds = configuration.base.seeds
        let threads = configuration.base.threads
        let pretrained = try parallelMap(count: seeds.count, threads: threads) { index in
            let outcome = try pretrainSeed(seeds[index])
            progress?("seed \(seeds[index]): pretrained and measured at \(configuration.pretrainingSteps.count) lengths")
            return outcome
        }

        let types = configuration.base.rewardModels
        let levels = configuration.pretrainingSteps.count
        let jobCount = seeds.count * levels * types.count
        let stepsPerEpoch = persona.stepsPerEpoch(pretrained[0].dataset)
        let totalSteps = (configuration.epochs.last ?? 0) * stepsPerEpoch
        let checkpoints = Set(configuration.evaluatedEpochs.map { $0 * stepsPerEpoch })
        let finished = Counter()
        let runs = try parallelMap(count: jobCount, threads: threads) { job in
            let seedIndex = job / (levels * types.count)
            let level = (job / types.count) % levels
            let type = types[job % types.count]
            let seed = seeds[seedIndex]
            let steps = configuration.pretrainingSteps[level]
            let dataset = pretrained[seedIndex].dataset
            var splits: [PersonaRewardSplitCheckpoint] = []
            let run = try persona.trainRewardModel(type, backbone: pretrained[seedIndex].models[level], dataset: dataset,
                                                   seed: seed, totalSteps: totalSteps, checkpoints: checkpoints)
            { step, model in
                var sets: [String: ImplicitRewardSplit] = [:]
                for set in dataset.evaluationSets where set.name.hasPrefix("paraphrase") {
                    sets[set.name] = try ImplicitRewardSplit.measure(model, pairs: set.pairs, responses: dataset.responses)
                }
                if !sets.isEmpty { splits.append(PersonaRewardSplitCheckpoint(epoch: step / stepsPerEpoch, sets: sets)) }
            }
            let done = finished.increment()
            progress?("\(done)/\(jobCount) reward models: seed \(seed), \(steps) pretraining steps, \(type.rawValue), paraphrase accuracy \(run.final["paraphrase"]!.accuracy)")
            return PersonaSensitivityRun(run, pretrainingSteps: steps, stepsPerEpoch: stepsPerEpoch, rewardSplits: splits)
        }
        return PersonaSensitivityResult(configuration: configuration, backbones: pretrained.flatMap(\.backbones),
                                        runs: runs, pairCounts: PersonaExperiment.pairCounts(pretrained[0].dataset),
                                        stepsPerEpoch: stepsPerEpoch)
    }
}

/// A thread-safe count of finished jobs, for progress lines only (never for results).
private final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()

    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}
