import Experiments
import Foundation
import Reports
import Tasks
import TheorycheckCore

/// The terminal summary, the JSON and the markdown report of `theorycheck hamiltonian`: every figure
/// from a trained model as mean ± sd over the seeds with each seed's value beside it, and figures with
/// per-seed marks.
public struct HamiltonianReport: Presentation {
    public let result: HamiltonianSeedsResult

    public init(result: HamiltonianSeedsResult) {
        self.result = result
    }

    public var terminalText: String { terminalSummary() }

    public var jsonDocument: HamiltonianSeedsResult { result }

    public func reportBundle(reportPath: String, command: String) -> ReportBundle? {
        let stem = URL(fileURLWithPath: reportPath).deletingPathExtension().lastPathComponent
        let lossName = "\(stem)-loss.svg"
        let accuracyName = "\(stem)-accuracy.svg"
        var report = markdown(command: command)
        report.heading("Figures")
        report.image(path: lossName, altText: "Bradley-Terry loss over training, mean over seeds with each seed marked")
        report.image(path: accuracyName, altText: "validation and test accuracy of each seed")
        return ReportBundle(report: report, figures: [
            ReportFigure(fileName: lossName, svg: lossPlot().render()),
            ReportFigure(fileName: accuracyName, svg: accuracyPlot().render()),
        ])
    }

    private var config: HamiltonianExperimentConfig { result.config }
    private var runs: [HamiltonianExperimentResult] { result.runs }

    private static func number(_ value: Double?, _ digits: Int = 3) -> String {
        guard let value, value.isFinite else { return "-" }
        return NumberFormat.significant(value, digits: digits)
    }

    private static func fixed(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "-" }
        return NumberFormat.fixed(value, decimals: 3)
    }

    private func number(_ value: Double?, _ digits: Int = 3) -> String { Self.number(value, digits) }

    private func fixed(_ value: Double?) -> String { Self.fixed(value) }

    /// "0.766 ± 0.054", or "-" without the figure.
    private func meanSD(_ spread: SeedSpread?, significant: Bool = false) -> String {
        guard let spread else { return "-" }
        if significant { return number(spread.mean) + " ± " + number(spread.sd, 2) }
        return fixed(spread.mean) + " ± " + fixed(spread.sd)
    }

    private func schedule(_ training: HamiltonianRewardTraining) -> String {
        switch training.schedule {
        case .constant: return "constant"
        case .warmupCosine(let warmup, let floor):
            return "warmup \(number(100 * warmup, 2))% + cosine to \(number(floor, 2))x"
        }
    }

    private var setting: String {
        let task = config.task
        let im = config.implicitTraining
        let ex = config.explicitTraining
        let format = config.promptFormat == .sorted ? "each edge listed once" : "each edge listed in both directions"
        return "N = \(task.vertexCount), p = \(number(task.edgeProbability, 2)), \(task.trainCount) training graphs "
            + "(\(config.validationCount) of them carved off for validation) / \(task.testCount) test graphs, \(format); "
            + "model d = \(config.backbone.width), \(config.backbone.layers) layer\(config.backbone.layers == 1 ? "" : "s"), \(config.backbone.heads) heads, "
            + "\(config.backbone.precision.rawValue); "
            + (config.lookupSteps > 0 ? "\(config.lookupSteps) in-context lookup steps (Adam lr \(number(config.lookupLearningRate, 2))), then " : "")
            + "\(config.backbone.pretraining.steps) format steps; "
            + "IM-RM \(im.steps) steps of \(im.batchSize) pairs, Adam lr \(number(im.adam.learningRate, 2)) (\(schedule(im))), "
            + "beta = \(number(im.beta, 2)); EX-RM \(ex.steps) steps, Adam lr \(number(ex.adam.learningRate, 2)) (\(schedule(ex))); "
            + "seeds \(config.seeds.map(String.init).joined(separator: ", "))"
    }

    /// Mean ± sd over seeds of each reward model's accuracy on every split.
    var accuracyTable: MarkdownTable {
        var table = MarkdownTable(headers: ["reward model", "train acc.", "validation acc.", "test acc.",
                                            "test acc., unseen graphs", "test acc. per seed"])
        let rows: [(String, (HamiltonianExperimentResult) -> HamiltonianRewardModelOutcome, SeedSpread?, SeedSpread, SeedSpread?)] = [
            ("IM-RM", { $0.implicitReward }, result.implicitValidationAccuracy, result.implicitTestAccuracy,
             result.implicitTestUnseenAccuracy),
            ("EX-RM", { $0.explicitReward }, result.explicitValidationAccuracy, result.explicitTestAccuracy,
             result.explicitTestUnseenAccuracy),
        ]
        for (label, outcome, validation, test, unseen) in rows {
            let train = SeedSpread(runs.map { outcome($0).train.accuracy })
            table.addRow([label, meanSD(train), meanSD(validation), meanSD(test), meanSD(unseen),
                          test.perSeed.map { fixed($0) }.joined(separator: ", ")])
        }
        table.addRow(["paper: Pythia-1B IM-RM, N = 10", "-", "-", fixed(HamiltonianExperimentResult.paperTestAccuracy), "-", "-"])
        return table
    }

    /// One row per seed: the figures behind every mean.
    var perSeedTable: MarkdownTable {
        var table = MarkdownTable(headers: ["seed", "graphs: train / validation / dropped / test seen in train",
                                            "IM-RM val. / test", "EX-RM val. / test", "IM-RM BT loss last tenth",
                                            "EX-RM BT loss last tenth", "policy valid cycles after", "exact pi(C given x) after"])
        for run in runs {
            let im = run.implicitReward
            let ex = run.explicitReward
            let sampled = im.generationAfter.map { "\($0.validCount) / \($0.samples)" } ?? "-"
            table.addRow(["\(run.config.seed)",
                          "\(run.trainGraphCount) / \(run.validationGraphCount) / \(run.droppedTrainGraphs) / \(run.testGraphsSeenInTraining)",
                          fixed(im.validation?.accuracy) + " / " + fixed(im.test.accuracy),
                          fixed(ex.validation?.accuracy) + " / " + fixed(ex.test.accuracy),
                          number(im.lossByTenth.last), number(ex.lossByTenth.last), sampled, number(im.validMassAfter)])
        }
        return table
    }

    var generationTable: MarkdownTable {
        var table = MarkdownTable(headers: ["IM-RM policy on test graphs", "valid fraction (sampled), mean ± sd",
                                            "permutations", "exact pi(C given x), mean ± sd"])
        let before = SeedSpread(runs.map { $0.implicitReward.generationBefore?.validFraction ?? 0 })
        let beforePermutations = SeedSpread(runs.map { $0.implicitReward.generationBefore?.permutationFraction ?? 0 })
        let afterPermutations = SeedSpread(runs.map { $0.implicitReward.generationAfter?.permutationFraction ?? 0 })
        table.addRow(["before training (pi_ref)", meanSD(before, significant: true), meanSD(beforePermutations),
                      meanSD(result.validMassBefore, significant: true)])
        table.addRow(["after training", meanSD(result.generationValidFractionAfter, significant: true),
                      meanSD(afterPermutations), meanSD(result.validMassAfter, significant: true)])
        let chance = SeedSpread(runs.map(\.randomPermutationChance))
        table.addRow(["chance: uniformly random permutation", meanSD(chance, significant: true), "1", "-"])
        table.addRow(["paper: Pythia-1B IM-RM, N = 10", number(HamiltonianExperimentResult.paperGenerationValidFraction),
                      "-", "-"])
        return table
    }

    func terminalSummary() -> String {
        var lines = ["Hamiltonian cycles: " + setting, ""]
        lines.append("Accuracy, mean ± sd over \(runs.count) seed(s):")
        lines.append(accuracyTable.render())
        lines.append(perSeedTable.render())
        lines.append(generationTable.render())
        if let example = runs.first?.implicitReward.generationAfter?.examples.first {
            lines.append("A sampled answer after training (seed \(config.seed)): \(example)")
        }
        return lines.joined(separator: "\n")
    }

    func markdown(command: String) -> MarkdownReport {
        var report = MarkdownReport(title: "Verification without generation: Hamiltonian cycles")
        report.paragraph("""
            Razin et al. (ICLR 2026), Sec. 3.2 and Theorem 1: a reward model can verify well while the policy \
            it defines almost never generates a correct answer. Here a small transformer, first taught only \
            the answer format (uniformly random permutations, so pi_ref knows nothing about which ones are \
            cycles), is trained as an IM-RM (beta ln pi/pi_ref) and as an EX-RM (a linear head on the last \
            hidden state) on verification pairs: chosen = the planted Hamiltonian cycle, rejected = a random \
            permutation that is not one. Both reward models train every parameter, each with its own \
            learning rate and schedule.
            """)
        report.paragraph("Setting: " + setting + ".")
        report.command(command)
        report.heading("Verification accuracy, mean ± sd over \(runs.count) seed(s)")
        report.table(accuracyTable)
        report.paragraph("""
            Validation graphs are carved from the training graphs (training graphs equal to a validation \
            graph are dropped), and settings are chosen on them, never on the test graphs. Small N repeats \
            graphs: "unseen graphs" restricts the test set to graphs no reward model trained on (a repeated \
            graph can be ranked from memory of its planted cycle).
            """)
        report.heading("Per seed")
        report.table(perSeedTable)
        report.heading("Generation by the IM-RM's own policy")
        report.paragraph("""
            \(config.generation.samplesPerGraph) answers sampled per test graph at temperature \
            \(number(config.generation.temperature, 2)), \(config.generation.constrained ? "constrained to permutations" : "unconstrained"); \
            an answer is valid when it decodes to a Hamiltonian cycle of its graph. The last column is exact: \
            pi(C | x) summed over every valid permutation of each test graph, averaged over the graphs. \
            The chance row is exact too (cycle counts by subset dynamic programming).
            """)
        report.table(generationTable)
        if let examples = runs.first?.implicitReward.generationAfter?.examples, !examples.isEmpty {
            report.paragraph("The first sampled answers after training (seed \(config.seed)):")
            report.codeBlock(examples.joined(separator: "\n"))
        }
        report.heading("Reading")
        report.bulletList(readings())
        return report
    }

    /// The largest probability of valid cycles after training that still counts as "without generation"
    /// (issue 11: at most 1%).
    static let generationThreshold = 0.01

    /// What the policy's valid-cycle probability after training (`validAfter`, one per seed) says beside a
    /// mean test accuracy: "verification without generation" only when the IM-RM verifies (accuracy more
    /// than 0.1 above chance) and every seed stays at most `generationThreshold`; the seeds above it named
    /// otherwise; nil when neither applies.
    static func generationReading(testAccuracy: Double, validAfter: [Double], chance: Double) -> String? {
        let generates = validAfter.filter { $0 > generationThreshold }.count
        if generates > 0 {
            let perSeed = validAfter.map { number($0) }.joined(separator: ", ")
            return "In \(generates) of \(validAfter.count) seed(s) the policy after training puts more than \(number(generationThreshold)) "
                + "on valid cycles (per seed: \(perSeed); \(number(chance)) for a random permutation): there the trained "
                + "model has started to generate valid cycles as well as verify them, so verification without generation "
                + "does not hold in every seed."
        }
        guard testAccuracy - 0.5 > 0.1 else { return nil }
        let mean = validAfter.reduce(0, +) / Double(max(1, validAfter.count))
        return "Verification came without generation, as Theorem 1 allows: test accuracy \(fixed(testAccuracy)) while the "
            + "policy puts probability \(number(mean)) on valid cycles (at most \(number(generationThreshold)) in every seed)."
    }

    /// Sentences that state what these runs show, computed from their numbers (no fixed claims).
    func readings() -> [String] {
        var items: [String] = []
        let im = result.implicitTestAccuracy
        let ex = result.explicitTestAccuracy
        let seeds = "over \(runs.count) seed(s)"
        items.append("IM-RM test accuracy \(meanSD(im)) \(seeds) (paper: \(fixed(HamiltonianExperimentResult.paperTestAccuracy))); "
                     + "EX-RM test accuracy \(meanSD(ex)). "
                     + (im.mean >= 0.95 ? "The small IM-RM verifies nearly as well as the paper's."
                        : "The small IM-RM verifies less well than Pythia-1B; the gap to 0.993 is a limit of this scaled-down setting, not a claim about the theory."))
        let after = result.generationValidFractionAfter
        let massAfter = result.validMassAfter.map { " (exact pi(C | x): \(meanSD($0, significant: true)))" } ?? ""
        let chance = SeedSpread(runs.map(\.randomPermutationChance)).mean
        items.append("After training the IM-RM's policy generates valid cycles at \(meanSD(after, significant: true))"
                     + massAfter + ", against \(number(chance)) for uniformly random permutations and 0 in the paper.")
        let generation = result.validMassAfter ?? after
        if let sentence = Self.generationReading(testAccuracy: im.mean, validAfter: generation.perSeed, chance: chance) {
            items.append(sentence)
        }
        return items
    }

    /// The Bradley-Terry loss by tenth of training, mean over seeds, each seed's value marked.
    func lossPlot() -> SVGLinePlot {
        func series(_ name: String, _ losses: [[Double]]) -> PlotSeries {
            let tenths = losses.map(\.count).min() ?? 0
            let x = (0..<tenths).map { Double($0 + 1) }
            let mean = (0..<tenths).map { tenth in losses.map { $0[tenth] }.reduce(0, +) / Double(losses.count) }
            let marks = losses.flatMap { seed in (0..<tenths).map { PlotPoint(x: Double($0 + 1), y: seed[$0]) } }
            return PlotSeries(name: name, x: x, y: mean, marks: marks)
        }
        return SVGLinePlot(
            title: "Bradley-Terry training loss (mean over \(runs.count) seeds, each seed marked)",
            xLabel: "tenth of the reward-model steps", yLabel: "mean batch loss",
            series: [series("IM-RM", runs.map(\.implicitReward.lossByTenth)),
                     series("EX-RM", runs.map(\.explicitReward.lossByTenth))],
            referenceLines: [ReferenceLine(y: log(2), label: "ln 2 (rewards 0)")])
    }

    /// Validation and test accuracy of every seed (x = seed), with chance and the paper's figure.
    func accuracyPlot() -> SVGLinePlot {
        let seeds = runs.map { Double($0.config.seed) }
        func series(_ name: String, _ values: [Double?]) -> PlotSeries {
            PlotSeries(name: name, x: seeds, y: values.map { $0 ?? .nan })
        }
        return SVGLinePlot(
            title: "Accuracy of each seed",
            xLabel: "seed", yLabel: "accuracy",
            series: [series("IM-RM test", runs.map(\.implicitReward.test.accuracy)),
                     series("IM-RM validation", runs.map { $0.implicitReward.validation?.accuracy }),
                     series("EX-RM test", runs.map(\.explicitReward.test.accuracy)),
                     series("EX-RM validation", runs.map { $0.explicitReward.validation?.accuracy })],
            yRange: 0...1, referenceLines: [ReferenceLine(y: 0.5, label: "chance"),
                                            ReferenceLine(y: HamiltonianExperimentResult.paperTestAccuracy, label: "paper")],
            showsMarkers: true)
    }
}
