import ArgumentParser
import ExperimentReports
import Experiments
import Foundation
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

            The defaults are scaled down from the paper (N = 6 instead of 10, 2048 / 128 graphs instead of \
            1000 / 200, a d = 32 two-layer model instead of Pythia-1B) so a release build runs in about \
            a minute of CPU, on both cores.
            """)

    @Option(name: .customLong("vertices"), help: "N, vertices per graph (3 ... 20).")
    var vertexCount = HamiltonianExperimentConfig.standard.task.vertexCount

    @Option(name: .customLong("edge-probability"), help: "p, probability of each edge outside the planted cycle, in [0, 1).")
    var edgeProbability = HamiltonianExperimentConfig.standard.task.edgeProbability

    @Option(name: .customLong("train"), help: "Training graphs (one preference pair each).")
    var trainCount = HamiltonianExperimentConfig.standard.task.trainCount

    @Option(name: .customLong("test"), help: "Test graphs (one preference pair each; their prompts are also sampled).")
    var testCount = HamiltonianExperimentConfig.standard.task.testCount

    @Option(help: "Model width d (a multiple of --heads).")
    var width = HamiltonianExperimentConfig.standard.backbone.width

    @Option(help: "Transformer blocks.")
    var layers = HamiltonianExperimentConfig.standard.backbone.layers

    @Option(help: "Attention heads per block.")
    var heads = HamiltonianExperimentConfig.standard.backbone.heads

    @Option(name: .customLong("reference-steps"),
            help: "Supervised steps on random permutations that make pi_ref (0: pi_ref is the untrained model).")
    var referenceSteps = HamiltonianExperimentConfig.standard.backbone.pretraining.steps

    @Option(name: .customLong("reference-lr"), help: "Adam learning rate of the supervised format steps.")
    var referenceLR = HamiltonianExperimentConfig.standard.backbone.pretraining.adam.learningRate

    @Option(help: "Reward-model training steps (Adam, every parameter trains).")
    var steps = HamiltonianExperimentConfig.standard.rewardTraining.steps

    @Option(name: .customLong("batch-size"), help: "Preference pairs per reward-model step.")
    var batchSize = HamiltonianExperimentConfig.standard.rewardTraining.batchSize

    @Option(help: "Adam learning rate of the reward models.")
    var lr = HamiltonianExperimentConfig.standard.rewardTraining.adam.learningRate

    @Option(help: "The IM-RM's beta.")
    var beta = HamiltonianExperimentConfig.standard.rewardTraining.beta

    @Option(name: .customLong("samples-per-graph"), help: "Answers sampled from the IM-RM's policy per test graph.")
    var samplesPerGraph = HamiltonianExperimentConfig.standard.generation.samplesPerGraph

    @Option(help: "Sampling temperature (1 samples the policy itself).")
    var temperature = HamiltonianExperimentConfig.standard.generation.temperature

    @Flag(help: "Constrained decoding: only permutations can be sampled (off by default).")
    var constrained = false

    @Option(help: "Seed of the graphs, the initialization, the batch order and the sampling.")
    var seed: UInt64 = 0

    @Option(help: "Precision of every forward and backward pass: float64 or float32 (parameters and Adam stay float64).")
    var precision = HamiltonianExperimentConfig.standard.backbone.precision

    @Option(help: "Threads: inside each step of pi_ref's training, then the IM-RM and the EX-RM side by side (results do not depend on it).")
    var threads = 2

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (3...UndirectedGraph.maximumCountedVertices).contains(vertexCount) else {
            throw ValidationError("--vertices must be between 3 and \(UndirectedGraph.maximumCountedVertices), got \(vertexCount)")
        }
        guard edgeProbability.isFinite, edgeProbability >= 0, edgeProbability < 1 else {
            throw ValidationError("--edge-probability must lie in [0, 1) (1 leaves no non-cycle permutation), got \(edgeProbability)")
        }
        try OptionBounds.require(trainCount, in: 1...100_000, "train")
        try OptionBounds.require(testCount, in: 1...10_000, "test")
        try TinyLMShapeBounds.check(width: width, layers: layers, heads: heads)
        try OptionBounds.require(referenceSteps, in: 0...1_000_000, "reference-steps")
        try OptionBounds.requirePositive(referenceLR, "reference-lr", maximum: 1e3)
        try OptionBounds.require(steps, in: 0...1_000_000, "steps")
        try OptionBounds.require(batchSize, in: 1...4096, "batch-size")
        try OptionBounds.requirePositive(lr, "lr", maximum: 1e3)
        try OptionBounds.requirePositive(beta, "beta", maximum: 1e6)
        try OptionBounds.require(samplesPerGraph, in: 1...10_000, "samples-per-graph")
        try OptionBounds.require(temperature, in: 1e-3...1e3, "temperature")
        try OptionBounds.require(threads, in: 1...64, "threads")
    }

    var experimentConfig: HamiltonianExperimentConfig {
        var config = HamiltonianExperimentConfig.standard
        config.task = HamiltonianCyclesConfig(vertexCount: vertexCount, edgeProbability: edgeProbability,
                                              trainCount: trainCount, testCount: testCount)
        config.backbone.width = width
        config.backbone.layers = layers
        config.backbone.heads = heads
        config.backbone.precision = precision
        config.backbone.pretraining.steps = referenceSteps
        config.backbone.pretraining.adam.learningRate = referenceLR
        config.rewardTraining.steps = steps
        config.rewardTraining.batchSize = batchSize
        config.rewardTraining.adam.learningRate = lr
        config.rewardTraining.beta = beta
        config.generation = HamiltonianCyclesGeneration.Options(samplesPerGraph: samplesPerGraph, constrained: constrained,
                                                                temperature: temperature)
        config.seed = seed
        return config
    }

    func run() throws {
        let experiment: HamiltonianExperiment
        do {
            experiment = try HamiltonianExperiment(experimentConfig)
        } catch let error as ConfigurationError {
            throw CLIError(error.message)
        }
        var lines: [HamiltonianExperiment.Stage: ProgressLine] = [:]
        let whole = ProgressLine("hamiltonian", quiet: output.quiet)
        let result = try experiment.run(threads: threads) { stage, done, total in
            let line = lines[stage] ?? ProgressLine("hamiltonian: \(stage.rawValue)", quiet: output.quiet)
            lines[stage] = line
            line.update(done, of: total)
        }
        // The runtime goes to stderr only: stdout and the report stay identical from run to run.
        whole.note("finished")
        try emit(HamiltonianReport(result: result), output)
    }
}
