import RewardDynamics
import TheorycheckCore
import TinyLM

/// How the Hamiltonian experiment trains one of its two reward models, through `RewardModelTrainer`
/// (`TinyLMRewardModel` of type `.implicit`, pi_ref a frozen copy of the format-trained model, or
/// `.explicit`); each reward model has its own. Codable, so a run can print what it used.
public struct HamiltonianRewardTraining: Codable, Equatable, Sendable {
    /// Optimizer steps of each reward model.
    public var steps: Int
    /// Pairs per step, walking a fresh seeded permutation of the training pairs each epoch.
    public var batchSize: Int
    /// The IM-RM's beta (unused by the EX-RM).
    public var beta: Double
    /// Adam, as the paper trains its reward models.
    public var adam: AdamConfiguration
    /// false: every parameter trains (full fine-tuning, as in the paper); true: Assumption 1, only the
    /// read-out (the unembedding for the IM-RM, the head u for the EX-RM).
    public var readoutOnly: Bool
    /// The multiplier on Adam's learning rate over the `steps` steps.
    public var schedule: LearningRateSchedule

    public init(steps: Int, batchSize: Int = 32, beta: Double = 0.1,
                adam: AdamConfiguration = AdamConfiguration(learningRate: 1e-3), readoutOnly: Bool = false,
                schedule: LearningRateSchedule = .constant)
    {
        self.steps = steps
        self.batchSize = batchSize
        self.beta = beta
        self.adam = adam
        self.readoutOnly = readoutOnly
        self.schedule = schedule
    }

    /// The learning-rate multiplier of step `step` (0-based) of this training.
    public func learningRateScale(step: Int) -> Double {
        schedule.multiplier(step: step, of: steps)
    }

    /// The reward model of `type` on this training's beta and read-out setting.
    public func modelConfiguration(_ type: RewardModelKind) -> RewardModelConfiguration {
        RewardModelConfiguration(type: type, beta: beta, readoutOnly: readoutOnly)
    }

    /// The trainer's configuration, with the batch order seeded by `seed`.
    public func trainerConfiguration(seed: UInt64) -> RewardTrainingConfiguration {
        RewardTrainingConfiguration(optimizer: .adam(adam), batchSize: batchSize, seed: seed)
    }

    /// Throws the first problem, as a sentence that says what to change.
    public func validate() throws {
        if steps < 0 { throw ConfigurationError("steps is \(steps); it must be 0 or more") }
        if batchSize < 1 { throw ConfigurationError("the batch size is \(batchSize); it must be at least 1 pair") }
        if !(beta > 0 && beta.isFinite) { throw ConfigurationError("beta is \(beta); it must be a positive number such as 0.1") }
        try trainerConfiguration(seed: 0).validate()
        try schedule.validate()
    }
}
