import ArgumentParser
import ExperimentReports
import Experiments
import Foundation
import TheorycheckCore
import TinyLM

/// `theorycheck persona-sensitivity`: how the Persona headline depends on how long the backbone was
/// pretrained and the reward models trained, beside the backbone's representation similarity.
struct PersonaSensitivityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "persona-sensitivity",
        abstract: "Persona paraphrase accuracy of every reward model over pretraining steps x epochs x seeds.",
        discussion: """
            Per seed: pretrain the Persona backbone once, snapshotting it at every --pretraining-steps value, \
            and measure how similar its representations of paraphrased and original responses are (cosines \
            of hidden states at the answer, at the last position and before the answer, and of the answers' \
            unembedding rows, beside the agree-versus-disagree cosine). On every snapshot train the five \
            reward models once for the largest --epochs value and read them at every --epochs value. Prints \
            paraphrase accuracy (training and test prompts) as mean, sd and min/max over seeds, the training \
            loss, the similarity per pretraining length, and readings computed from them. The other settings \
            are those of `theorycheck persona`.
            """)

    @Option(help: "Number of seeds (0, 1, ...); each pretrains its own backbone. Use 3 or more for a spread.")
    var seeds = PersonaSensitivityConfiguration.standard.base.seeds.count

    @Option(name: .customLong("pretraining-steps"),
            help: "Comma-separated, increasing pretraining lengths (Adam steps), snapshots of one run per seed.")
    var pretrainingSteps = PersonaSensitivityConfiguration.standard.pretrainingSteps.map(String.init).joined(separator: ",")

    @Option(help: "Comma-separated, increasing reward-training lengths (epochs), checkpoints of one run per model.")
    var epochs = PersonaSensitivityConfiguration.standard.epochs.map(String.init).joined(separator: ",")

    @Option(name: .customLong("reward-models"),
            help: "Comma-separated reward models to train (ex_rm, ex_rm_mean, im_rm, im_rm_noref, ex_grm); default all.")
    var rewardModels = RewardModelKind.allCases.map(\.rawValue).joined(separator: ",")

    @Option(help: "Runs trained at once, one thread each (results do not depend on it).")
    var threads = PersonaSensitivityConfiguration.standard.base.threads

    @Flag(help: .hidden)  // Persona's quick sizes (d = 8, 4 statements): for the end-to-end tests only.
    var quick = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        try OptionBounds.require(seeds, in: 1...100, "seeds")
        _ = try parsedPretrainingSteps()
        _ = try parsedEpochs()
        _ = try parsedRewardModels()
        try OptionBounds.require(threads, in: 1...64, "threads")
    }

    func parsedRewardModels() throws -> [RewardModelKind] {
        let names = rewardModels.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        let known = RewardModelKind.allCases.map(\.rawValue).joined(separator: ", ")
        var kinds: [RewardModelKind] = []
        for name in names {
            guard let kind = RewardModelKind(rawValue: name) else {
                throw ValidationError("--reward-models: unknown reward model \"\(name)\"; use a comma-separated list of \(known)")
            }
            if kinds.contains(kind) { throw ValidationError("--reward-models lists \(name) twice") }
            kinds.append(kind)
        }
        // Table order, whatever order they were given in.
        return RewardModelKind.allCases.filter(kinds.contains)
    }

    func parsedPretrainingSteps() throws -> [Int] {
        try OptionBounds.increasingIntegers(pretrainingSteps, in: 0...100_000, maximumCount: 10, "pretraining-steps")
    }

    func parsedEpochs() throws -> [Int] {
        try OptionBounds.increasingIntegers(epochs, in: 1...10_000, maximumCount: 12, "epochs")
    }

    var experimentConfiguration: PersonaSensitivityConfiguration {
        get throws {
            var c = PersonaSensitivityConfiguration.standard
            if quick { c.base = .quick }
            c.base.seeds = (0..<UInt64(seeds)).map { $0 }
            c.base.threads = threads
            c.pretrainingSteps = try parsedPretrainingSteps()
            c.epochs = try parsedEpochs()
            c.base.rewardModels = try parsedRewardModels()
            return c
        }
    }

    func run() throws {
        let progress = ProgressLine("persona-sensitivity", quiet: output.quiet)
        let result: PersonaSensitivityResult
        do {
            let experiment = try PersonaSensitivityExperiment(configuration: try experimentConfiguration,
                                                              grammar: try Grammar.agreeableness())
            result = try experiment.run(progress: progress.lineSink)
        } catch let error as ConfigurationError {
            throw CLIError(error.message)
        }
        try emit(PersonaSensitivityReport(result: result), output)
    }
}
