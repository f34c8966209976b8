import TheorycheckCore
import TinyLM

/// `theorycheck mechanism`: the tiny-LM dynamics setting (Persona data, a small pretrained backbone,
/// full-batch gradient descent, every parameter training) with every step's first-order change split by
/// mechanism, and the lazy (frozen-kernel) prediction of the outcome. Sizes are those of
/// `TinyLMDynamicsConfiguration` (the backbone `BackboneRecipe.dynamics`), so that the two reports describe
/// the same runs. The fields (`steps`, `learningRate`, `backbone`, ...) are those of
/// `PersonaDescentSetting`, read through `setting`; so is the JSON.
public struct MechanismConfiguration: PersonaDescentConfiguration {
    public var setting: PersonaDescentSetting

    /// 500 steps, as in `dynamics --model tiny-lm` (training loss near 0 by then). The EX-RM's eta 0.01,
    /// fifty times below the tiny-LM dynamics check's 0.5, for two reasons that concern whether a
    /// first-order split means anything, not what it shows: at 0.5 the EX-RM's first step (u = 0, no
    /// backbone gradient) already reaches margins near 29 and training is over after it, and the IM-RM's
    /// first step (eta 5) is far beyond first order; at 0.01 both first steps are first order and the
    /// training losses fall over the checkpoints' decades. `--lr 0.5` reproduces the dynamics setting.
    /// beta 0.1 and the backbone as in the tiny-LM dynamics check; 8 training and 4 test statements with
    /// one pair each. `readoutOnly` (Assumption 1) makes every backbone part exactly 0. The EX-RM and the
    /// IM-RM by default (the mean-pooled EX-RM and the IM-RM without reference are supported; the EX-GRM is
    /// not: its loss is not Bradley-Terry).
    public static let defaults = PersonaDescentSetting(
        steps: 500, learningRate: 0.01, implicitLearningRate: nil, beta: 0.1, seed: 0, backbone: .dynamics,
        trainStatements: 8, testStatements: 4, pairsPerStatement: 1, readoutOnly: false,
        rewardModels: [.explicit, .implicit], threads: 2)

    public init(setting: PersonaDescentSetting = MechanismConfiguration.defaults) { self.setting = setting }

    /// Debug-build test size: d = 8, 1 layer, 3 + 2 statements, a few pretraining and training steps.
    public static let quick = MechanismConfiguration(setting: defaults.quick(steps: 5))

    /// The largest `steps` accepted: a 5000-step default-size run takes about ten times the default's time.
    public static let maximumSteps = 5000

    /// Steps at which kernels, the lazy prediction and the metrics are compared: 0, then 1, 2, 5 times
    /// each power of ten below `total`, and `total`.
    public static func checkpointSteps(total: Int) -> [Int] { StepSchedule.oneTwoFive.steps(upTo: total) }

    /// Throws the first problem, as a sentence that says what to change.
    public func validate() throws {
        let steps = setting.steps
        if steps < 0 || steps > Self.maximumSteps {
            throw ConfigurationError("steps is \(steps); use 0 to \(Self.maximumSteps)")
        }
        try setting.validateCommon()
        if setting.rewardModels.contains(.generativeVerifier) {
            throw ConfigurationError(
                "the EX-GRM is trained by cross-entropy, not the Bradley-Terry loss the decomposition is about; leave it out")
        }
        if Set(setting.rewardModels).count != setting.rewardModels.count {
            throw ConfigurationError("a reward model is listed twice")
        }
    }
}
