import TheorycheckCore
import TinyLM

/// One seed's share of a multi-seed Persona descent run: the setting with that seed, its pretraining's
/// figures and pair data, and one run per reward model in the setting's order.
struct PersonaDescentSeedRuns<Run: Sendable>: Sendable {
    let setting: PersonaDescentSetting
    let dataset: PersonaDataset
    let pretraining: PretrainingSummary
    let runs: [Run]
}

extension PersonaDescentSetting {
    /// `seed`, `seed + 1`, ..., `count` seeds in all: the seeds of a multi-seed run starting at this
    /// setting's seed. Throws when `count` is below 1 or the last seed would overflow.
    public func consecutiveSeeds(_ count: Int) throws -> [UInt64] {
        if count < 1 { throw ConfigurationError("seeds is \(count); give at least 1") }
        if UInt64(count - 1) > UInt64.max - seed {
            throw ConfigurationError("\(count) seeds from seed \(seed) run past the largest seed")
        }
        return (0..<UInt64(count)).map { seed + $0 }
    }

    /// Runs the setting at every seed of `seeds`: first every seed's data and pretrained backbone
    /// (`prepare`), side by side, then `run(setting, model, backbone, dataset)` for every (seed, reward
    /// model) pair, all of them queued on `threads` threads at once (so the threads stay busy to the end,
    /// instead of idling at each seed's last model). Each call gets the setting with its own seed and
    /// owns its own model, so the figures do not depend on `threads` or on the other seeds.
    func runSeeds<Run: Sendable>(
        _ seeds: [UInt64], grammar: Grammar, progress: (@Sendable (String) -> Void)?,
        run: @escaping @Sendable (PersonaDescentSetting, RewardModelKind, TinyLM, PersonaDataset) throws -> Run
    ) throws -> [PersonaDescentSeedRuns<Run>] {
        let settings = seeds.map { seed -> PersonaDescentSetting in
            var setting = self
            setting.seed = seed
            return setting
        }
        let labelled: @Sendable (UInt64) -> (@Sendable (String) -> Void)? = { seed in
            guard let progress else { return nil }
            return seeds.count > 1 ? { progress("seed \(seed): \($0)") } : progress
        }
        let prepared = try parallelMap(count: settings.count, threads: threads) { index in
            try settings[index].prepare(grammar: grammar, progress: labelled(settings[index].seed))
        }
        let models = rewardModels
        let runs = try parallelMap(count: settings.count * models.count, threads: threads) { slot in
            let (index, model) = (slot / models.count, models[slot % models.count])
            let result = try run(settings[index], model, prepared[index].backbone, prepared[index].dataset)
            labelled(settings[index].seed)?("\(model.rawValue): done")
            return result
        }
        return settings.indices.map { index in
            PersonaDescentSeedRuns(setting: settings[index], dataset: prepared[index].dataset,
                                   pretraining: prepared[index].pretraining,
                                   runs: Array(runs[(index * models.count)..<((index + 1) * models.count)]))
        }
    }
}
