import ArgumentParser
import ExperimentReports
import Experiments
import Foundation
import Reports
import ShiftAnalysis
import Tasks

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Phase diagram: EX-RM and IM-RM accuracy on token-shifted pairs over alignment x overlap.",
        discussion: """
            Runs the built-in token-shift task (the `dynamics` default) over a grid of representation \
            alignment (cosine between a paraphrase token's meaning and the original's) and token overlap \
            (fraction of paraphrase answer tokens shared with training), trains an EX-RM and an IM-RM per \
            cell and seed, and prints their accuracy on the token-shifted set `paraphrase` at an early step \
            and at the last step, averaged over seeds. The theory's first-order picture: EX-RM accuracy \
            follows alignment, IM-RM accuracy follows overlap. Read both diagrams: see the report for what \
            happens to the IM-RM once training leaves the first-order regime.
            """)

    @Option(help: "Comma-separated alignments in [0, 1].")
    var alignments = "0,0.5,1"

    @Option(help: "Comma-separated overlaps in [0, 1] (rounded to whole answer tokens: 0, 1/4, ... of 4).")
    var overlaps = "0,0.5,1"

    @Option(help: "Comma-separated seeds, or a count n for seeds 0..<n.")
    var seeds = "1"

    // Defaults: a 3 x 3 grid, one seed, the `dynamics` learning rate; 1000 steps reach past the IM-RM's
    // late flip (about step 750 at this rate), step 100 is still in the first-order regime. The closed
    // forms are not re-checked per cell (`dynamics` does that), which keeps the default run near half a
    // minute in release. The committed report's command is inside it.
    @Option(help: "Number of full-batch gradient steps; the final diagram is read here.")
    var steps = 1000

    @Option(name: .customLong("early-step"), help: "Step of the early diagram (the nearest recorded step is used).")
    var earlyStep = 100

    @Option(help: "Learning rate of the EX-RM heads (the `dynamics` default).")
    var lr = 0.01

    @Option(name: .customLong("im-lr"), help: "Learning rate of the IM-RM unembeddings (default: lr / beta^2).")
    var imLR: Double?

    @Option(help: "Implicit reward beta.")
    var beta = TokenShiftTask.standard.beta

    @OptionGroup var output: OutputOptions

    func validate() throws {
        _ = try parsedAlignments()
        _ = try parsedOverlaps()
        _ = try parsedSeeds()
        try OptionBounds.require(steps, in: 1...DynamicsCommand.maximumSteps, "steps")
        guard (0...steps).contains(earlyStep) else {
            throw ValidationError("--early-step must lie in 0...\(steps) (the --steps value), got \(earlyStep)")
        }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be a positive number, got \(lr)") }
        if let imLR, !(imLR > 0 && imLR.isFinite) {
            throw ValidationError("--im-lr must be a positive number, got \(imLR)")
        }
        guard beta > 0, beta.isFinite else { throw ValidationError("--beta must be a positive number, got \(beta)") }
    }

    private func unitList(_ text: String, option: String) throws -> [Double] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        let values = parts.map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, values.allSatisfy({ $0 != nil }) else {
            throw ValidationError("--\(option) must be comma-separated numbers like 0,0.5,1, got \"\(text)\"")
        }
        let numbers = values.map { $0! }
        guard numbers.allSatisfy({ (0...1).contains($0) }) else {
            throw ValidationError("--\(option) values must lie in [0, 1], got \"\(text)\"")
        }
        guard Set(numbers).count == numbers.count else {
            throw ValidationError("--\(option) lists a value twice: \"\(text)\"")
        }
        return numbers
    }

    func parsedAlignments() throws -> [Double] { try unitList(alignments, option: "alignments") }
    func parsedOverlaps() throws -> [Double] { try unitList(overlaps, option: "overlaps") }

    func parsedSeeds() throws -> [UInt64] {
        if !seeds.contains(","), let count = Int(seeds) {
            guard (1...100).contains(count) else {
                throw ValidationError("--seeds as a count must lie in 1...100, got \(count)")
            }
            return (0..<UInt64(count)).map { $0 }
        }
        let values = seeds.split(separator: ",").map { UInt64($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else {
            throw ValidationError("--seeds must be a count like 3 or a list like 0,5,7, got \"\(seeds)\"")
        }
        return values.map { $0! }
    }

    func run() throws {
        var base = TokenShiftTask.standard
        base.beta = beta
        let diagram = PhaseDiagram(
            alignments: try parsedAlignments(), overlaps: try parsedOverlaps(), seeds: try parsedSeeds(),
            steps: steps, earlyStep: earlyStep, explicitLearningRate: lr, implicitLearningRate: imLR, baseTask: base)
        let progress = ProgressLine("sweep", quiet: output.quiet)
        let result: PhaseDiagramResult
        do {
            result = try diagram.run { progress.update($0, of: $1) }
        } catch {
            throw CLIError("built-in task: \(error)")
        }
        let summary = PhaseDiagramSummary(result: result, learningRate: lr,
                                          implicitLearningRate: try imLR ?? defaultImplicitRate(lr: lr, beta: beta), beta: beta)
        try emit(summary, output)
    }
}
