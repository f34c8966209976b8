import ArgumentParser
import ExperimentReports
import Experiments
import Foundation
import MaxMargin
import RewardDynamics
import ShiftAnalysis

struct Theorem2Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "theorem2",
        abstract: "Theorem 2 on unseen tokens: the IM-RM stays at chance, the EX-RM follows the max-margin head.",
        discussion: """
            Trains an IM-RM (exact single-token dynamics, Assumption 2) and an EX-RM head (gradient descent \
            on the training differences) side by side and prints, per evaluation set: for the IM-RM, whether \
            every unembedding row of a token never seen in a training response is bit-identical to its start, \
            and the accuracy on unseen-token pairs (exactly 0.5 by theory); for the EX-RM, the cosine between \
            the trained head and the max-margin separator u* at log-spaced checkpoints (it rises like \
            1 - O(1/log t)), the fraction of evaluation pairs with <u*, zbar> > 0 (the prediction), and the \
            accuracy the trained head reaches (the outcome).

            By default the instance is the built-in single-token task (see the README); --instance reads a \
            file whose responses are single tokens sharing the prompt context hidden[0] (for other files use \
            `theorycheck analyze`).
            """)

    @Option(help: "Instance file (JSON or safetensors); default: the built-in single-token task.")
    var instance: String?

    @Option(help: "Number of full-batch gradient steps (both models cost O(n d) per step).")
    var steps = 10_000

    @Option(help: "Learning rate of the EX-RM head.")
    var lr = 0.5

    @Option(name: .customLong("im-lr"),
            help: "Learning rate of the IM-RM unembedding (default: lr / beta^2, the same pace in reward units).")
    var imLR: Double?

    @OptionGroup var task: SingleTokenShiftOptions

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard steps >= 0 else { throw ValidationError("--steps must be 0 or more, got \(steps)") }
        guard steps <= 100_000_000 else { throw ValidationError("--steps must be at most 100000000, got \(steps)") }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be a positive number, got \(lr)") }
        if let imLR, !(imLR > 0 && imLR.isFinite) {
            throw ValidationError("--im-lr must be a positive number, got \(imLR)")
        }
    }

    func run() throws {
        let loaded = try instance.map(loadInstanceFile) ?? task.instance()
        let source = instance.map { "instance file \($0)" }
            ?? "built-in single-token task (seed \(task.seed), alignment \(task.alignment), context noise \(task.contextNoise), beta \(task.beta))"
        let experiment = Theorem2Experiment(
            steps: steps, explicitLearningRate: lr, implicitLearningRate: try imLR ?? defaultImplicitRate(lr: lr, beta: loaded.beta))
        let progress = ProgressLine("theorem2", quiet: output.quiet)
        let result: Theorem2Result
        do {
            result = try experiment.run(on: loaded) { progress.update($0, of: $1) }
        } catch let error as InstanceValidationError {
            throw CLIError("theorem2 needs single-token responses that share the prompt context hidden[0] "
                           + "(Assumption 2): \(error); for other instances use `theorycheck analyze`")
        } catch let error as MaxMarginError {
            throw CLIError("\(error)")
        }
        let summary = Theorem2Summary(result: result, source: source, instance: loaded)
        try emit(summary, output)
    }
}
