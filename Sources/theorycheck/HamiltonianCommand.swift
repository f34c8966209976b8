import ArgumentParser
import ExperimentReports
import Experiments
import Foundation
import LinearAlgebra
import Reports
import Tasks
import TheorycheckCore
import TinyLM

struct HamiltonianCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hamiltonian",
        abstract: "Verification without generation: a small LM trained as an IM-RM on Hamiltonian cycles.",
        discussion: """
            Random graphs with a planted Hamiltonian cycle (N vertices, other edges with probability p). A \
            small transformer first learns the answer format from uniformly random permutations (pi_ref: it \
            knows nothing about which permutations are cycles). It is then trained as an IM-RM \
            (beta ln pi/pi_ref) and, separately, as an EX-RM (linear head on the last hidden state) on \
            verification pairs: chosen = the planted cycle, rejected = a random permutation that is not a \
            cycle. Reported: verification accuracy (train, test) of both, and how often the IM-RM's own \
            policy generates a valid cycle on the test graphs before and after training (sampled, and the \
            exact probability summed over all valid cycles), beside the exact chance figures and the paper's \
            (Pythia-1B, N = 10: 0.993 test accuracy, 0 correct generations). Theorem 1 says the two can \
            come apart: a reward can verify well while its policy almost never generates.

            The default preset is scaled down from the paper (N = 6 instead of 10, 4352 / 128 graphs, a d = 32 \
            two-layer model with a generic in-context lookup pretraining stage instead of Pythia-1B); its three \
            seeds take about five CPU-minutes in a release build. --preset n8 runs the same model and training on \
            N = 8 graphs with twice the graphs and IM-RM steps (about 25 CPU-minutes for three seeds). \
            --preset paper uses the paper's graphs (N = 10, p = 0.2, 1000 / 200) with the same model and training. Settings were chosen on the --validation \
            graphs of exploration seeds, never on test graphs (notes/hamiltonian-exploration.md).
            """)

    @Option(help: "Settings to start from: default (N = 6, a few CPU-minutes), n8 (N = 8, 8448 graphs, 3200 IM-RM steps: the setting that verifies at >= 0.95 without generating; about 25 CPU-minutes) or paper (N = 10, p = 0.2, 1000 / 200 graphs as in Sec. 3.2); every option below overrides its value.")
    var preset: HamiltonianPreset = .default

    @Option(name: .customLong("vertices"), help: "N, vertices per graph (3 ... 20).")
    var vertexCount: Int?

    @Option(name: .customLong("edge-probability"), help: "p, probability of each edge outside the planted cycle, in [0, 1).")
    var edgeProbability: Double?

    @Option(name: .customLong("train"), help: "Training graphs (one preference pair each), the validation graphs included.")
    var trainCount: Int?

    @Option(help: "Validation graphs carved from the training graphs (training graphs equal to one are dropped too): settings are chosen on them, never on the test graphs.")
    var validation: Int?

    @Option(name: .customLong("test"), help: "Test graphs (one preference pair each; their prompts are also sampled).")
    var testCount: Int?

    @Option(name: .customLong("prompt-format"), help: "How the prompt lists edges: sorted (each edge once, u < v) or both-directions (a b and b a: an adjacency list).")
    var promptFormat: HamiltonianCyclesVocabulary.PromptFormat?

    @Option(help: "Model width d (a multiple of --heads).")
    var width: Int?

    @Option(help: "Transformer blocks.")
    var layers: Int?

    @Option(help: "Attention heads per block.")
    var heads: Int?

    @Option(name: .customLong("lookup-steps"),
            help: "Steps of generic in-context lookup pretraining (random key-value lists queried after =>) before the format training; 0: none.")
    var lookupSteps: Int?

    @Option(name: .customLong("lookup-lr"), help: "Adam learning rate of the lookup pretraining.")
    var lookupLR: Double?

    @Option(name: .customLong("reference-steps"),
            help: "Supervised steps on random permutations that make pi_ref (0: pi_ref is the untrained model).")
    var referenceSteps: Int?

    @Option(name: .customLong("reference-lr"), help: "Adam learning rate of the supervised format steps.")
    var referenceLR: Double?

    @Option(help: "IM-RM training steps (Adam, every parameter trains).")
    var steps: Int?

    @Option(name: .customLong("batch-size"), help: "Preference pairs per reward-model step (both reward models).")
    var batchSize: Int?

    @Option(help: "Adam learning rate of the IM-RM.")
    var lr: Double?

    @Option(help: "The IM-RM's learning-rate schedule: constant or cosine (linear warmup over --warmup of the steps, then cosine decay to 0).")
    var schedule: ScheduleChoice?

    @Option(help: "The IM-RM's beta.")
    var beta: Double?

    @Option(name: .customLong("ex-steps"), help: "EX-RM training steps (default: --steps when that is given, else the preset's).")
    var explicitSteps: Int?

    @Option(name: .customLong("ex-lr"), help: "Adam learning rate of the EX-RM (its own, chosen on its training loss and the validation split).")
    var explicitLR: Double?

    @Option(name: .customLong("ex-schedule"), help: "The EX-RM's learning-rate schedule: constant or cosine.")
    var explicitSchedule: ScheduleChoice?

    @Option(help: "Fraction of the steps spent warming up under a cosine schedule, in [0, 1).")
    var warmup: Double?

    @Option(name: .customLong("samples-per-graph"), help: "Answers sampled from the IM-RM's policy per test graph.")
    var samplesPerGraph: Int?

    @Option(help: "Sampling temperature (1 samples the policy itself).")
    var temperature: Double?

    @Flag(help: "Constrained decoding: only permutations can be sampled (off by default).")
    var constrained = false

    @Option(help: "First seed of the graphs, the initialization, the batch order and the sampling.")
    var seed: UInt64 = 0

    @Option(help: "Seeds run in series (--seed, --seed + 1, ...): every figure is a mean and sd over them.")
    var seeds: Int?

    @Option(help: "Precision of every forward and backward pass: float64 or float32 (parameters and Adam stay float64).")
    var precision: Precision?

    @Option(help: "Threads: inside each step of pi_ref's training, then the IM-RM and the EX-RM side by side (results do not depend on it).")
    var threads = 2

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let vertexCount, !(3...UndirectedGraph.maximumCountedVertices).contains(vertexCount) {
            throw ValidationError("--vertices must be between 3 and \(UndirectedGraph.maximumCountedVertices), got \(vertexCount)")
        }
        if let edgeProbability, !(edgeProbability.isFinite && edgeProbability >= 0 && edgeProbability < 1) {
            throw ValidationError("--edge-probability must lie in [0, 1) (1 leaves no non-cycle permutation), got \(edgeProbability)")
        }
        let config = experimentConfig
        try OptionBounds.require(config.task.trainCount, in: 1...100_000, "train")
        try OptionBounds.require(config.task.testCount, in: 1...10_000, "test")
        if let validation, !(0..<config.task.trainCount).contains(validation) {
            throw ValidationError("--validation must lie in 0...\(config.task.trainCount - 1) (it is carved from the \(config.task.trainCount) training graphs), got \(validation)")
        }
        let backbone = config.backbone
        try TinyLMShapeBounds.check(width: backbone.width, layers: backbone.layers, heads: backbone.heads)
        try OptionBounds.require(backbone.pretraining.steps, in: 0...1_000_000, "reference-steps")
        try OptionBounds.require(config.lookupSteps, in: 0...1_000_000, "lookup-steps")
        try OptionBounds.requirePositive(config.lookupLearningRate, "lookup-lr", maximum: 1e3)
        try OptionBounds.requirePositive(backbone.pretraining.adam.learningRate, "reference-lr", maximum: 1e3)
        try OptionBounds.require(config.implicitTraining.steps, in: 0...1_000_000, "steps")
        try OptionBounds.require(config.explicitTraining.steps, in: 0...1_000_000, "ex-steps")
        try OptionBounds.require(config.implicitTraining.batchSize, in: 1...4096, "batch-size")
        try OptionBounds.requirePositive(config.implicitTraining.adam.learningRate, "lr", maximum: 1e3)
        try OptionBounds.requirePositive(config.explicitTraining.adam.learningRate, "ex-lr", maximum: 1e3)
        try OptionBounds.requirePositive(config.implicitTraining.beta, "beta", maximum: 1e6)
        if let warmup, !(warmup.isFinite && warmup >= 0 && warmup < 1) {
            throw ValidationError("--warmup must lie in [0, 1) (a fraction of the steps), got \(warmup)")
        }
        try OptionBounds.require(config.generation.samplesPerGraph, in: 1...10_000, "samples-per-graph")
        try OptionBounds.require(config.generation.temperature, in: 1e-3...1e3, "temperature")
        try OptionBounds.require(config.seedCount, in: 1...100, "seeds")
        try OptionBounds.require(threads, in: 1...64, "threads")
    }

    var experimentConfig: HamiltonianExperimentConfig {
        var config = preset.config
        var task = config.task
        if let vertexCount { task.vertexCount = vertexCount }
        if let edgeProbability { task.edgeProbability = edgeProbability }
        if let trainCount { task.trainCount = trainCount }
        if let testCount { task.testCount = testCount }
        config.task = task
        if let validation { config.validationCount = validation }
        if let promptFormat { config.promptFormat = promptFormat }
        if let width { config.backbone.width = width }
        if let layers { config.backbone.layers = layers }
        if let heads { config.backbone.heads = heads }
        if let precision { config.backbone.precision = precision }
        if let referenceSteps { config.backbone.pretraining.steps = referenceSteps }
        if let lookupSteps { config.lookupSteps = lookupSteps }
        if let lookupLR { config.lookupLearningRate = lookupLR }
        if let referenceLR { config.backbone.pretraining.adam.learningRate = referenceLR }
        if let steps { config.implicitTraining.steps = steps }
        if let lr { config.implicitTraining.adam.learningRate = lr }
        if let beta { config.implicitTraining.beta = beta }
        if let steps = explicitSteps ?? steps { config.explicitTraining.steps = steps }
        if let explicitLR { config.explicitTraining.adam.learningRate = explicitLR }
        if let batchSize {
            config.implicitTraining.batchSize = batchSize
            config.explicitTraining.batchSize = batchSize
        }
        config.implicitTraining.schedule = Self.schedule(schedule, warmup: warmup, current: config.implicitTraining.schedule)
        config.explicitTraining.schedule = Self.schedule(explicitSchedule, warmup: warmup,
                                                         current: config.explicitTraining.schedule)
        if let samplesPerGraph { config.generation.samplesPerGraph = samplesPerGraph }
        if let temperature { config.generation.temperature = temperature }
        if constrained { config.generation.constrained = true }
        config.seed = seed
        if let seeds { config.seedCount = seeds }
        return config
    }

    /// The schedule a choice names (nil keeps `current`), with `warmup` replacing the warmup fraction of a
    /// cosine schedule.
    static func schedule(_ choice: ScheduleChoice?, warmup: Double?, current: LearningRateSchedule) -> LearningRateSchedule {
        let chosen: LearningRateSchedule
        switch choice {
        case nil: chosen = current
        case .constant: chosen = .constant
        case .cosine: chosen = .warmupCosine(warmupFraction: HamiltonianExperimentConfig.defaultWarmupFraction, floor: 0)
        }
        guard let warmup, case .warmupCosine(_, let floor) = chosen else { return chosen }
        return .warmupCosine(warmupFraction: warmup, floor: floor)
    }

    func run() throws {
        let experiment: HamiltonianExperiment
        do {
            experiment = try HamiltonianExperiment(experimentConfig)
        } catch let error as ConfigurationError {
            throw CLIError(error.message)
        }
        // one line per (seed, stage): seeds run side by side
        var lines: [String: ProgressLine] = [:]
        let whole = ProgressLine("hamiltonian", quiet: output.quiet)
        let seedCount = experiment.config.seedCount
        let result = try experiment.runSeeds(threads: threads) { index, stage, done, total in
            let label = seedCount > 1 ? "hamiltonian: seed \(index + 1)/\(seedCount): \(stage.rawValue)"
                : "hamiltonian: \(stage.rawValue)"
            let key = "\(index) \(stage.rawValue)"
            if done == 1 { lines[key] = nil }
            let line = lines[key] ?? ProgressLine(label, quiet: output.quiet)
            lines[key] = line
            line.update(done, of: total)
        }
        // The runtime goes to stderr only: stdout and the report stay identical from run to run.
        whole.note("finished")
        try emit(HamiltonianReport(result: result), output)
    }
}

/// `--preset`: the named settings `theorycheck hamiltonian` starts from.
enum HamiltonianPreset: String, ExpressibleByArgument, CaseIterable {
    case `default`
    case n8
    case paper

    var config: HamiltonianExperimentConfig {
        switch self {
        case .default: return .standard
        case .n8: return .eightVertices
        case .paper: return .paper
        }
    }
}

/// `--schedule`, `--ex-schedule`: a learning-rate schedule by name.
enum ScheduleChoice: String, ExpressibleByArgument, CaseIterable {
    case constant
    case cosine
}

extension HamiltonianCyclesVocabulary.PromptFormat: ExpressibleByArgument {}
