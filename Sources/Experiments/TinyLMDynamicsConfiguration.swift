import RewardDynamics
import TheorycheckCore
import LinearAlgebra
import TinyLM

/// The tiny-LM dynamics check: Persona data through small pretrained backbones, each reward model
/// trained by full-batch gradient descent, every step's reward changes compared with two first-order
/// predictions. Sizes are small on purpose: the empirical tangent kernel needs one reverse sweep per
/// evaluation sequence per step. The fields (`steps`, `learningRate`, `backbone`, ...) are those of
/// `PersonaDescentSetting`, read through `setting`; so is the JSON.
public struct TinyLMDynamicsConfiguration: PersonaDescentConfiguration {
    public var setting: PersonaDescentSetting

    /// 500 steps at eta 0.5 (eta of the EX-RMs and the EX-GRM, head and backbone alike), beta 0.1; the
    /// backbone `BackboneRecipe.dynamics` (d = 32, 2 layers, 4 heads, context 32: small enough for
    /// per-sequence gradients at every step, deep enough that the representations can move; 300 steps of
    /// batch 16 pretraining learn the synonym structure in seconds); 8 training and 4 test statements with
    /// one pair each: 8 training pairs and 24 evaluation pairs; every reward model. `readoutOnly`
    /// (Assumption 1) makes both predictions coincide with the closed form.
    public static let defaults = PersonaDescentSetting(
        steps: 500, learningRate: 0.5, implicitLearningRate: nil, beta: 0.1, seed: 0, backbone: .dynamics,
        trainStatements: 8, testStatements: 4, pairsPerStatement: 1, readoutOnly: false,
        rewardModels: RewardModelKind.allCases, threads: 2)

    public init(setting: PersonaDescentSetting = TinyLMDynamicsConfiguration.defaults) { self.setting = setting }

    /// Debug-build test size: d = 8, 1 layer, 3 + 2 statements, a few pretraining steps.
    public static let quick = TinyLMDynamicsConfiguration(setting: defaults.quick(steps: 3))

    public func validate() throws {
        if setting.steps < 0 { throw ConfigurationError("steps is \(setting.steps); it must be 0 or more") }
        try setting.validateCommon()
        // The derived IM-RM rate lr / beta overflows for a tiny beta.
        let implicitRate = learningRate(for: .implicit)
        try DivergenceError.check(implicitRate, .learningRate, model: RewardModelKind.implicit.rawValue, step: 0,
                                  cause: setting.implicitLearningRate == nil
                                      ? .betaTooSmall(setting.beta) : .learningRateTooLarge(implicitRate))
    }
}
