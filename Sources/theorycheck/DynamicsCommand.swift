import ArgumentParser
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
            read-out, and by its closed form in function space (Gram matrices only). The table shows \
            accuracy and normalized margin per evaluation set at steps 0, 1, 10, 100, ..., and the \
            agreement figures: closed form vs. trained read-out (max |a - b| / max(1, |b|)), and the \
            first-order (Eq. 5) prediction of a step vs. the step.

            By default the instance is the built-in token-shift task (a Persona-like setup; see the README): \
            `paraphrase` uses answer tokens never seen in training. The theory predicts that the EX-RM \
            generalizes to it (it follows representation alignment) and the IM-RM does not (it follows \
            token identity).
            """)

    @Option(help: "Number of full-batch gradient steps.")
    var steps = 500

    @Option(help: """
        Learning rate of the EX-RM heads (default 0.01 on fixed representations, so the training loss falls \
        over the checkpoints' decades: 0.69, 0.57 at step 10, 0.17 at 100, 0.04 at 500; with --model the \
        tiny-LM experiment's own default).
        """)
    var lr: Double?

    /// The fixed-representation default of `--lr`.
    static let defaultLearningRate = 0.01

    @Option(name: .customLong("im-lr"),
            help: "Learning rate of the IM-RM unembeddings (default: lr / beta^2, so both move at the same pace in reward units).")
    var imLR: Double?

    @OptionGroup var task: TokenShiftOptions

    @Option(help: "Representations from small language models trained for real: tiny-lm (every parameter trains) or tiny-lm-frozen (read-out only); -quick variants for smoke tests. Left out: fixed representations.")
    var model: String?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard steps >= 0 else { throw ValidationError("--steps must be 0 or more, got \(steps)") }
        if model != nil && (task.file.instance != nil || task.alignment != nil || task.overlap != nil) {
            throw ValidationError("--model trains language models on the Persona grammar; --instance, --alignment and --overlap do not apply to it")
        }
        if let lr, !(lr > 0 && lr.isFinite) { throw ValidationError("--lr must be a positive number, got \(lr)") }
        if let imLR, !(imLR > 0 && imLR.isFinite) {
            throw ValidationError("--im-lr must be a positive number, got \(imLR)")
        }
    }

    func run() throws {
        if let model { return try runTinyLM(model: model) }
        let instance = try task.instance()
        let lr = self.lr ?? Self.defaultLearningRate
        let implicitLearningRate = imLR ?? lr / (instance.beta * instance.beta)
        let experiment = DynamicsExperiment(
            steps: steps, explicitLearningRate: lr, implicitLearningRate: implicitLearningRate)
        let progress = ProgressLine("dynamics")
        let result = try experiment.run(on: instance) { progress.update($0, of: $1) }
        let settings = DynamicsSettings(
            steps: steps, explicitLearningRate: lr, implicitLearningRate: implicitLearningRate, beta: instance.beta,
            task: task.file.instance == nil ? task.task : nil, instancePath: task.file.instance)
        if let path = output.report {
            let report = DynamicsReport(result: result, source: task.source, settings: settings.lines,
                                        command: regeneratingCommand())
            try writeReport(report.bundle(reportPath: path), to: path)
        }
        if output.json {
            try printJSON(DynamicsOutput(settings: settings, result: result))
        } else {
            print(DynamicsTable(result: result).render())
        }
    }
}
