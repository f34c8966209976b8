import Foundation
import Experiments
import Reports
import Tasks

/// The terminal summary and the markdown report of `theorycheck hamiltonian`.
public struct HamiltonianReport: Presentation {
    public let result: HamiltonianExperimentResult

    public init(result: HamiltonianExperimentResult) {
        self.result = result
    }

    public var terminalText: String { terminalSummary() }

    public var jsonDocument: HamiltonianExperimentResult { result }

    /// A markdown report without figures.
    public func reportBundle(reportPath: String, command: String) -> ReportBundle? {
        ReportBundle(report: markdown(command: command), figures: [])
    }

    private var config: HamiltonianExperimentConfig { result.config }
    private var implicit: HamiltonianRewardModelOutcome { result.implicitReward }
    private var explicit: HamiltonianRewardModelOutcome { result.explicitReward }

    private func number(_ value: Double?, _ digits: Int = 3) -> String {
        guard let value else { return "-" }
        return NumberFormat.significant(value, digits: digits)
    }

    private func fixed(_ value: Double?) -> String {
        guard let value else { return "-" }
        return NumberFormat.fixed(value, decimals: 3)
    }

    private var setting: String {
        let task = config.task
        return "N = \(task.vertexCount), p = \(number(task.edgeProbability, 2)), \(task.trainCount) train / "
            + "\(task.testCount) test graphs; model d = \(config.backbone.width), \(config.backbone.layers) layers, \(config.backbone.heads) heads; "
            + "\(config.backbone.pretraining.steps) format steps, \(config.rewardTraining.steps) reward steps of "
            + "\(config.rewardTraining.batchSize) pairs, Adam lr \(number(config.rewardTraining.adam.learningRate, 2)), "
            + "beta = \(number(config.rewardTraining.beta, 2)); seed \(config.seed)"
    }

    var accuracyTable: MarkdownTable {
        var table = MarkdownTable(headers: ["reward model", "train acc. before", "test acc. before", "train acc.",
                                            "test acc.", "BT loss first / last tenth"])
        for (label, outcome) in [("IM-RM", implicit), ("EX-RM", explicit)] {
            table.addRow([label, fixed(outcome.trainBefore.accuracy), fixed(outcome.testBefore.accuracy),
                          fixed(outcome.train.accuracy), fixed(outcome.test.accuracy),
                          number(outcome.lossByTenth.first) + " / " + number(outcome.lossByTenth.last)])
        }
        table.addRow(["paper: Pythia-1B IM-RM, N = 10", "-", "-", "-", fixed(HamiltonianExperimentResult.paperTestAccuracy), "-"])
        return table
    }

    var generationTable: MarkdownTable {
        var table = MarkdownTable(headers: ["IM-RM policy on test graphs", "valid cycles (sampled)", "valid fraction",
                                            "permutations", "exact pi(C given x), mean"])
        for (label, generation, mass) in [("before training (pi_ref)", implicit.generationBefore, implicit.validMassBefore),
                                          ("after training", implicit.generationAfter, implicit.validMassAfter)]
        {
            guard let generation else { continue }
            table.addRow([label, "\(generation.validCount) / \(generation.samples)", number(generation.validFraction),
                          number(generation.permutationFraction), number(mass)])
        }
        table.addRow(["chance: uniformly random permutation", "-", number(result.randomPermutationChance), "1", "-"])
        table.addRow(["chance: N + 1 uniformly random tokens", "-", number(result.uniformTokenChance), "-", "-"])
        table.addRow(["paper: Pythia-1B IM-RM, N = 10", "0", number(HamiltonianExperimentResult.paperGenerationValidFraction), "-", "-"])
        return table
    }

    func terminalSummary() -> String {
        var lines = ["Hamiltonian cycles: " + setting, ""]
        lines.append(accuracyTable.render())
        lines.append(generationTable.render())
        if let example = implicit.generationAfter?.examples.first {
            lines.append("A sampled answer after training: \(example)")
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
            permutation that is not one. Both reward models train every parameter.
            """)
        report.paragraph("Setting: " + setting + ".")
        report.command(command)
        report.heading("Verification accuracy")
        report.table(accuracyTable)
        report.heading("Generation by the IM-RM's own policy")
        report.paragraph("""
            \(config.generation.samplesPerGraph) answers sampled per test graph at temperature \
            \(number(config.generation.temperature, 2)), \(config.generation.constrained ? "constrained to permutations" : "unconstrained"); \
            an answer is valid when it decodes to a Hamiltonian cycle of its graph. The last column is exact: \
            pi(C | x) summed over every valid permutation of each test graph, averaged over the graphs. \
            The chance rows are exact too (cycle counts by subset dynamic programming).
            """)
        report.table(generationTable)
        if let examples = implicit.generationAfter?.examples, !examples.isEmpty {
            report.paragraph("The first sampled answers after training:")
            report.codeBlock(examples.joined(separator: "\n"))
        }
        report.heading("Reading")
        report.bulletList(readings())
        return report
    }

    /// Sentences that state what this run shows, computed from its numbers (no fixed claims).
    func readings() -> [String] {
        var items: [String] = []
        let imTest = implicit.test.accuracy
        let exTest = explicit.test.accuracy
        items.append("IM-RM test accuracy \(fixed(imTest)) (paper: \(fixed(HamiltonianExperimentResult.paperTestAccuracy))); "
                     + "EX-RM test accuracy \(fixed(exTest)). A model this small, trained on \(config.task.trainCount) graphs, "
                     + (imTest >= 0.95 ? "verifies nearly as well as the paper's." : "verifies far less well than Pythia-1B; the gap to 0.993 is a limit of this scaled-down setting, not a claim about the theory."))
        if let before = implicit.generationBefore, let after = implicit.generationAfter {
            let massBefore = implicit.validMassBefore.map { " (exact pi(C | x): \(number($0)))" } ?? ""
            let massAfter = implicit.validMassAfter.map { " (exact: \(number($0)))" } ?? ""
            items.append("The IM-RM's policy generates valid cycles at \(number(before.validFraction)) before training"
                         + massBefore + " and \(number(after.validFraction)) after" + massAfter
                         + ", against \(number(result.randomPermutationChance)) for uniformly random permutations and 0 in the paper.")
            let gain = (implicit.validMassAfter ?? after.validFraction) - (implicit.validMassBefore ?? before.validFraction)
            if imTest - 0.5 > 0.1 && (implicit.validMassAfter ?? after.validFraction) < 0.5 {
                items.append("Verification rose by \(fixed(imTest - implicit.testBefore.accuracy)) in test accuracy while the policy's "
                             + "probability of a valid cycle changed by \(number(gain)): verification came without generation, as Theorem 1 allows.")
            } else {
                items.append("Change in the policy's probability of a valid cycle: \(number(gain)).")
            }
        }
        return items
    }
}
