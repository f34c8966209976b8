import ArgumentParser
import ExperimentReports
import Experiments
import Foundation
import TheorycheckCore
import TinyLM

/// `theorycheck persona`: the paper's controlled token-level shift (Sec. 5.1) with small language models
/// pretrained here on the agreeableness grammar.
struct PersonaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "persona",
        abstract: "Train EX-RMs, IM-RMs and an EX-GRM on small pretrained language models (Persona token shift).",
        discussion: """
            Per seed: pretrain a small causal transformer on the agreeableness grammar (data/), split its \
            agreeable statements into training and test prompts, and train five reward models on the same \
            backbone with Adam: EX-RM (head on the last position), EX-RM mean-pooled, IM-RM (beta ln pi/pi_ref), \
            IM-RM without reference, and the generative verifier EX-GRM. Training responses use the templates \
            "In my view, the answer is" / "A truthful reply is" + yes/sure (chosen) and "My judgement:" / \
            "Considering the statement, I say" + no/never (rejected); the paraphrase sets use "My response \
            would be" + certainly/absolutely and "I lean toward" + not really/nope. Prints accuracy and \
            normalized margin per set as mean and sd over seeds, beside the paper's figures.
            """)

    @Option(help: "Number of seeds (0, 1, ...); each pretrains its own backbone.")
    var seeds = PersonaConfiguration.standard.seeds.count

    @Option(help: "Passes over the training pairs.")
    var epochs = PersonaConfiguration.standard.epochs

    @Option(help: "Adam learning rate of every reward model.")
    var lr = PersonaConfiguration.standard.learningRate

    @Option(help: "Implicit reward beta.")
    var beta = PersonaConfiguration.standard.beta

    @Option(name: .customLong("batch-size"), help: "Pairs per Adam step.")
    var batchSize = PersonaConfiguration.standard.batchSize

    @Option(name: .customLong("train-statements"), help: "Statements used as training prompts.")
    var trainStatements = PersonaConfiguration.standard.trainStatements

    @Option(name: .customLong("test-statements"), help: "Statements held out as test prompts.")
    var testStatements = PersonaConfiguration.standard.testStatements

    @Option(name: .customLong("pairs-per-statement"), help: "Preference pairs drawn per statement.")
    var pairsPerStatement = PersonaConfiguration.standard.pairsPerStatement

    @Option(name: .customLong("pretraining-steps"), help: "Adam steps of next-token pretraining.")
    var pretrainingSteps = PersonaConfiguration.standard.backbone.pretraining.steps

    @Option(help: "Width d of the backbone.")
    var width = PersonaConfiguration.standard.backbone.width

    @Option(help: "Transformer blocks of the backbone.")
    var layers = PersonaConfiguration.standard.backbone.layers

    @Option(help: "Attention heads per block (must divide the width).")
    var heads = PersonaConfiguration.standard.backbone.heads

    @Option(help: "Context length of the backbone (tokens).")
    var context = PersonaConfiguration.standard.backbone.contextLength

    @Option(help: "Threads: pretrainings and reward-model trainings side by side, or inside each step for one seed (results do not depend on it).")
    var threads = PersonaConfiguration.standard.threads

    @Option(help: "Precision of every forward and backward pass: float64 or float32 (parameters and Adam stay float64).")
    var precision = PersonaConfiguration.standard.backbone.precision

    @Flag(name: .customLong("readout-only"), help: "Freeze everything but the read-out (Assumption 1).")
    var readoutOnly = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        try OptionBounds.require(seeds, in: 1...100, "seeds")
        try OptionBounds.require(epochs, in: 0...10_000, "epochs")
        try OptionBounds.requirePositive(lr, "lr", maximum: 1e3)
        try OptionBounds.requirePositive(beta, "beta", maximum: 1e6)
        try OptionBounds.require(batchSize, in: 1...4096, "batch-size")
        try OptionBounds.require(trainStatements, in: 1...10_000, "train-statements")
        try OptionBounds.require(testStatements, in: 1...10_000, "test-statements")
        try OptionBounds.require(pairsPerStatement, in: 1...100, "pairs-per-statement")
        try OptionBounds.require(pretrainingSteps, in: 0...1_000_000, "pretraining-steps")
        try TinyLMShapeBounds.check(width: width, layers: layers, heads: heads)
        try OptionBounds.require(context, in: 1...4096, "context")
        try OptionBounds.require(threads, in: 1...64, "threads")
    }

    var experimentConfiguration: PersonaConfiguration {
        var c = PersonaConfiguration.standard
        c.seeds = (0..<UInt64(seeds)).map { $0 }
        c.epochs = epochs
        c.learningRate = lr
        c.beta = beta
        c.batchSize = batchSize
        c.trainStatements = trainStatements
        c.testStatements = testStatements
        c.pairsPerStatement = pairsPerStatement
        c.backbone.pretraining.steps = pretrainingSteps
        c.backbone.width = width
        c.backbone.layers = layers
        c.backbone.heads = heads
        c.backbone.contextLength = context
        c.backbone.precision = precision
        c.threads = threads
        c.readoutOnly = readoutOnly
        return c
    }

    func run() throws {
        let progress = ProgressLine("persona", quiet: output.quiet)
        let result: PersonaResult
        do {
            let experiment = try PersonaExperiment(configuration: experimentConfiguration, grammar: try Grammar.agreeableness())
            result = try experiment.run(progress: progress.lineSink)
        } catch let error as ConfigurationError {
            throw CLIError(error.message)
        }
        try emit(PersonaReport(result: result), output)
    }
}
