import ExperimentReports
import ArgumentParser
import Foundation
import InstanceIO
import MaxMargin
import Reports
import RewardDynamics
import ShiftAnalysis

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Which reward model type generalizes on your evaluation pairs, and why: u*, the IM-RM update split, T-step training.",
        discussion: """
            EX-RM side: u* is the max-margin separator of the training differences \
            z_i = hidden[L](chosen_i) - hidden[L](rejected_i). For each evaluation set it prints the quartiles \
            of <u*, zbar> and of cos(u*, zbar) and the fraction with <u*, zbar> > 0 (pairs an EX-RM is \
            predicted to rank correctly in the long run, Theorem 2), for all pairs and by token novelty: the \
            share of a pair's response tokens that occur in no training response (bins 0, (0, 0.25], ..., \
            (0.75, 1) and 1; novelty 1 is the unseen class).

            IM-RM side: the first-order change of each evaluation pair's margin after one gradient step from \
            the instance's unembedding (Eq. 5), split into token identity I and softmax competition C: the \
            quartiles of the share |I| / (|I| + |C|) and the fractions of pairs with I + C > 0, I > 0 and C > 0. \
            Unseen pairs have I = 0 exactly.

            --steps T trains both read-outs on the fixed states for T steps (Assumption 1) and prints each \
            model's accuracy and margin at T per set and bin: the prediction, also for non-separable data. \
            --pairs FILE.jsonl or FILE.csv writes one row per evaluation pair. The output starts with the \
            warnings that say where the prediction is not to be trusted.
            """)

    @Option(help: "Instance file (JSON or safetensors; see the README).")
    var instance: String

    @Option(help: "Max-margin solver: minimumNormPoint or goldfarbIdnani.")
    var method: MaxMarginMethod = .minimumNormPoint

    @Option(help: "Train both read-outs for this many steps and report their predictions at T (0: one-step analysis only).")
    var steps = 0

    @Option(help: "EX-RM learning rate of the T steps (default: 1 / lambda, lambda = |Z|_2^2 / (4n)).")
    var lr: Double?

    @Option(name: .customLong("im-lr"),
            help: "IM-RM learning rate of the T steps (default: the rate whose first step lowers the loss as much as the EX-RM's).")
    var imLR: Double?

    @Option(help: "Storage of the IM-RM passes: auto (float32 at a real vocabulary), float32 or float64.")
    var precision: ReadoutPrecision = .automatic

    @Option(help: "Write one row per evaluation pair to this file (.jsonl or .csv), atomically.")
    var pairs: String?

    @Flag(name: .long, help: "Print machine-readable JSON on standard output.")
    var json = false

    @Flag(name: .long, help: "No progress lines on standard error (errors are still printed).")
    var quiet = false

    func validate() throws {
        try OptionBounds.require(steps, in: 0...1_000_000, "steps", reason: "each step is two passes over the training contexts")
        if let lr { try OptionBounds.requirePositive(lr, "lr") }
        if let imLR { try OptionBounds.requirePositive(imLR, "im-lr", maximum: 1e300) }
        if let pairs {
            guard PairTable.Format(path: pairs) != nil else {
                throw ValidationError("--pairs \(pairs): name a .jsonl or a .csv file")
            }
            let target = URL(fileURLWithPath: pairs).standardizedFileURL.path
            guard target != URL(fileURLWithPath: instance).standardizedFileURL.path else {
                throw ValidationError("--pairs \(pairs) is the instance file; choose another path")
            }
            try OutputTarget.check(pairs, option: "pairs")
        }
    }

    func run() throws {
        let loaded = try loadInstanceFile(instance)
        let provenance = ExportProvenance.read(path: instance)
        var options = AnalysisOptions()
        options.method = method
        options.steps = steps
        options.explicitLearningRate = lr
        options.implicitLearningRate = imLR
        options.precision = precision
        options.sources = provenance?.sources ?? [:]
        let progress = StageProgress(command: "analyze", quiet: quiet)
        let result: RepresentationAnalysisResult
        do {
            result = try RepresentationAnalysis.run(on: loaded, options: options) { stage, done, total in
                progress.update(stage.rawValue, done, total)
            }
        } catch {
            throw CLIError("\(error)")
        }
        let report = AnalyzeReport(result: result, path: instance, modelName: provenance?.modelName)
        let text = json ? try jsonText(report.jsonDocument) : report.terminalText
        if let pairs, let format = PairTable.Format(path: pairs) {
            try writeAtomically(Data(PairTable.render(result.pairs, format: format).utf8), to: pairs)
        }
        print(text)
    }
}

extension ReadoutPrecision: ExpressibleByArgument {}
