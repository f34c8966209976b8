import ArgumentParser
import ExperimentReports
import Experiments
import Foundation
import RewardDynamics
import Tasks

struct DynamicsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dynamics",
        abstract: "Train EX-RMs and IM-RMs on fixed representations and check the closed forms against them.",
        discussion: """
            Trains four reward models by full-batch gradient descent on the Bradley-Terry loss, with hidden \
            representations fixed (Assumption 1): EX-RM (head on the last position), EX-RM mean-pooled, \
            IM-RM (beta ln pi/pi_ref) and IM-RM without reference. Each is trained twice: by updating its \
            read-out, and by its closed form in function space (Gram matrices only). The table shows, per \
            evaluation set at steps 0, 1, 10, 100, ...: accuracy (ties count 1/2), the normalized margin \
            mean|r+ - r-| / (sd of all 2n rewards + 1e-8), which ignores sign, and the signed mean margin \
            mean(r+ - r-), the "margin" a TRL user reads; and the training loss. Then the agreement \
            figures: closed form vs. trained read-out (max |a - b| / max(1, |b|)), and the first-order \
            (Eq. 5) prediction of a step vs. the step.

            By default the instance is the built-in token-shift task (a Persona-like setup; see the README): \
            `paraphrase` uses answer tokens never seen in training. The theory predicts that the EX-RM \
            generalizes to it (it follows representation alignment) and the IM-RM does not (it follows \
            token identity). With --model the representations come from small language models trained here.
            """)

    /// The most steps a run may ask for: about an hour of the built-in task on two cores.
    static let maximumSteps = 1_000_000

    @Option(help: "Number of full-batch gradient steps (0...\(maximumSteps)).")
    var steps = 500

    @Option(help: """
        Learning rate of the EX-RMs (default 0.01 on fixed representations, so the training loss falls over \
        the checkpoints' decades: 0.69, 0.57 at step 10, 0.17 at 100, 0.04 at 500; with --model, \
        \(TinyLMDynamicsConfiguration().learningRate), the tiny-LM experiment's own default).
        """)
    var lr: Double?

    /// The fixed-representation default of `--lr`.
    static let defaultLearningRate = 0.01

    @Option(name: .customLong("im-lr"), help: """
        Learning rate of the IM-RMs. Default on fixed representations: lr / beta^2 (a step moves an implicit \
        reward by eta beta^2 times a kernel, so both kinds move at the same pace in reward units); with \
        --model: lr / beta (so ln pi moves at the pace an EX-RM reward does, as in the tiny-LM experiment).
        """)
    var imLR: Double?

    @OptionGroup var task: TokenShiftOptions

    @Option(help: """
        Representations from small language models trained for real: \
        \(TinyLMBackboneChoice.allCases.map(\.rawValue).joined(separator: ", ")). Left out: fixed \
        representations (the built-in task or --instance).
        """)
    var model: TinyLMBackboneChoice?

    @Option(help: """
        With --model: how many seeds to run, --seed (default 0) and the ones after it (1 to \(Self.maximumSeeds); \
        default \(Self.defaultTinyLMSeeds)). Each pretrains its own backbone on its own corpus and draws its own \
        statements; figures are mean ± sd over them.
        """)
    var seeds: Int?

    /// `--seeds` with --model, when not given.
    static let defaultTinyLMSeeds = 3
    static let maximumSeeds = 20

    @OptionGroup var output: OutputOptions

    func validate() throws {
        try OptionBounds.require(steps, in: 0...Self.maximumSteps, "steps")
        if model != nil && (task.file.instance != nil || task.alignment != nil || task.overlap != nil) {
            throw ValidationError("--model trains language models on the Persona grammar; --instance, --alignment and --overlap do not apply to it")
        }
        if let seeds {
            if model == nil {
                throw ValidationError("--seeds runs small language models at several seeds; it needs --model (the built-in task takes one --seed)")
            }
            try OptionBounds.require(seeds, in: 1...Self.maximumSeeds, "seeds")
        }
        if let lr { try OptionBounds.requirePositive(lr, "lr") }
        if let imLR { try OptionBounds.requirePositive(imLR, "im-lr") }
    }

    func run() throws {
        if let model { return try runTinyLM(model) }
        let instance = try task.instance()
        let lr = self.lr ?? Self.defaultLearningRate
        let implicitLearningRate = try imLR ?? defaultImplicitRate(lr: lr, beta: instance.beta)
        let experiment = DynamicsExperiment(
            steps: steps, explicitLearningRate: lr, implicitLearningRate: implicitLearningRate)
        try RunCostCheck.check(.dynamics(kinds: experiment.kinds, checksClosedForms: experiment.checksClosedForms),
                               instance: instance, quiet: output.quiet)
        let progress = ProgressLine("dynamics", quiet: output.quiet)
        let result = try experiment.run(on: instance) { progress.update($0, of: $1) }
        let settings = DynamicsSettings(
            steps: steps, explicitLearningRate: lr, implicitLearningRate: implicitLearningRate, beta: instance.beta,
            task: task.file.instance == nil ? task.task : nil, instancePath: task.file.instance)
        try emit(DynamicsReport(result: result, source: task.source, settings: settings), output)
    }
}
