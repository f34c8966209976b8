import Foundation
import Experiments
import Reports
import TheorycheckCore
import TinyLM

/// The terminal table and the markdown report (notebooks-md/persona.md) of `theorycheck persona`.
public struct PersonaReport: Presentation {
    public let result: PersonaResult

    public init(result: PersonaResult) {
        self.result = result
    }

    public var terminalText: String { Self.terminalTable(result) }

    public var jsonDocument: [String: [String: PersonaSetSummary]] { result.summary }

    private static let setLabels = ["train": "train prompts", "test": "test prompts",
                                    "paraphrase": "paraphrase, train prompts", "paraphrase_test": "paraphrase, test prompts"]

    private static func meanSD(_ value: MeanAndSpread) -> String {
        NumberFormat.fixed(value.mean, decimals: 3) + " ± " + NumberFormat.fixed(value.sd, decimals: 3)
    }

    /// Rows of reward models, columns of sets: "mean ± sd (paper)".
    static func accuracyTable(_ result: PersonaResult, metric: String) -> MarkdownTable {
        var table = MarkdownTable(headers: ["reward model"] + PersonaDataset.setNames.map { setLabels[$0]! },
                                  alignments: [.left] + PersonaDataset.setNames.map { _ in .right })
        let summary = result.summary
        for type in result.configuration.rewardModels {
            let cells = PersonaDataset.setNames.map { set -> String in
                let cell = summary[type.rawValue]![set]!
                if metric == "accuracy" {
                    let paper = PersonaResult.paperAccuracy(type, set).map { " (paper " + NumberFormat.fixed($0, decimals: 3) + ")" } ?? ""
                    return meanSD(cell.accuracy) + paper
                }
                return meanSD(metric == "mean_margin" ? cell.meanMargin : cell.normalizedMargin)
            }
            table.addRow([type.label] + cells)
        }
        return table
    }

    static func terminalTable(_ result: PersonaResult) -> String {
        var lines = ["Accuracy after training, mean ± sd over \(result.configuration.seeds.count) seed(s) (paper's figure in brackets):",
                     accuracyTable(result, metric: "accuracy").render(), "",
                     "Normalized margin mean|r+ - r-| / (sd of all rewards + 1e-8), which ignores sign; mean ± sd:",
                     accuracyTable(result, metric: "normalized_margin").render(), "",
                     "Signed mean margin mean(r+ - r-), in reward units; mean ± sd:",
                     accuracyTable(result, metric: "mean_margin").render(), "",
                     "Pretraining, held-out next-token loss per seed:"]
        for summary in result.pretraining {
            lines.append("  seed \(summary.seed): " + NumberFormat.fixed(summary.heldOutLossBefore, decimals: 3) + " -> "
                + NumberFormat.fixed(summary.heldOutLossAfter, decimals: 3))
        }
        return lines.joined(separator: "\n")
    }

    /// Mean accuracy over seeds at each checkpoint step, one series per reward model, for one set.
    private func accuracyPlot(set: String) -> SVGLinePlot {
        var series: [PlotSeries] = []
        for type in result.configuration.rewardModels {
            let runs = result.runs.filter { $0.type == type }
            let steps = runs[0].checkpoints.map(\.step)
            let means = steps.indices.map { index in
                runs.map { $0.checkpoints[index].sets[set]!.accuracy }.reduce(0, +) / Double(runs.count)
            }
            series.append(PlotSeries(name: type.label, x: steps.map(Double.init), y: means))
        }
        return SVGLinePlot(title: "Persona: accuracy on \(Self.setLabels[set]!)", xLabel: "Adam step",
                           yLabel: "accuracy (mean over seeds)", series: series, xScale: .logarithmicSteps,
                           yRange: 0...1, referenceLines: [ReferenceLine(y: 0.5, label: "chance")])
    }

    public func reportBundle(reportPath: String, command: String) throws -> ReportBundle? {
        let c = result.configuration
        var report = MarkdownReport(title: "Persona: token-level shift with small language models trained for real")
        report.paragraph("""
            The paper's controlled experiment (Razin et al., Sec. 5.1; docs/theory.md §6) at laptop scale. \
            Each seed pretrains a causal transformer (d = \(c.backbone.width), \(c.backbone.layers) layers, \(c.backbone.heads) heads, \
            context \(c.backbone.contextLength)) on the agreeableness grammar in `data/`, in which yes / sure / certainly / \
            absolutely, no / never / nope / not really and the six template phrases are interchangeable. Then \
            five reward models are trained on the same backbone with Adam (learning rate \(NumberFormat.significant(c.learningRate, digits: 2)), \
            batch \(c.batchSize) pairs, \(c.epochs) epochs, \(c.readoutOnly ? "read-out only (Assumption 1)" : "every parameter trained"), \
            beta = \(NumberFormat.significant(c.beta, digits: 2))): \(result.pairCounts["training_pairs"]!) training pairs from \
            \(c.trainStatements) statements; \(c.testStatements) statements are held out.
            """)
        report.command(command)
        report.heading("Accuracy (ties count 1/2), mean ± sd over \(c.seeds.count) seeds")
        report.table(Self.accuracyTable(result, metric: "accuracy"))
        report.paragraph("""
            The paper reports, for language models of 1B parameters and more: EX-RM 1.00 on all four sets; \
            IM-RM 1.00 on the original responses and 0.022 / 0.019 on the paraphrases (train / test prompts), \
            far below chance. It gives no figures for the ablations and the EX-GRM in this experiment.
            """)
        report.heading("Normalized margin, mean ± sd")
        report.table(Self.accuracyTable(result, metric: "normalized_margin"))
        report.paragraph("Normalized margin = mean |r+ - r-| / (std of all rewards + 1e-8), which ignores sign; the EX-GRM's reward is a probability.")
        report.heading("Signed mean margin, mean ± sd")
        report.table(Self.accuracyTable(result, metric: "mean_margin"))
        report.paragraph("Mean margin = mean (r+ - r-) in reward units: negative where the rejected responses win on average (what TRL logs as the reward margin).")
        report.heading("What these small models show")
        report.bulletList(findings())
        report.heading("Accuracy over training")
        var figures: [ReportFigure] = []
        for set in PersonaDataset.setNames {
            let name = "persona-accuracy-\(set.replacingOccurrences(of: "_", with: "-")).svg"
            figures.append(ReportFigure(fileName: name, svg: accuracyPlot(set: set).render()))
            report.image(path: name, altText: "accuracy on \(Self.setLabels[set]!) over steps")
        }
        report.heading("Pretraining")
        var pretraining = MarkdownTable(headers: ["seed", "held-out loss before", "after", "vocabulary"],
                                        alignments: [.right, .right, .right, .right])
        for summary in result.pretraining {
            pretraining.addRow(["\(summary.seed)", NumberFormat.fixed(summary.heldOutLossBefore, decimals: 3),
                                NumberFormat.fixed(summary.heldOutLossAfter, decimals: 3), "\(summary.vocabularySize)"])
        }
        report.table(pretraining)
        report.heading("Configuration")
        report.codeBlock(try JSONOutput.encode(c), language: "json")
        return ReportBundle(report: report, figures: figures)
    }

    /// Sentences that state what the numbers show, derived from them (never hand-written conclusions).
    private func findings() -> [String] {
        let summary = result.summary
        func accuracy(_ type: RewardModelKind, _ set: String) -> Double? { summary[type.rawValue]?[set]?.accuracy.mean }
        func describe(_ value: Double) -> String {
            value > 0.55 ? "above chance" : (value < 0.45 ? "below chance" : "near chance")
        }
        var lines: [String] = []
        for type in result.configuration.rewardModels {
            guard let train = accuracy(type, "train"), let test = accuracy(type, "test"),
                  let paraphrase = accuracy(type, "paraphrase"), let paraphraseTest = accuracy(type, "paraphrase_test")
            else { continue }
            lines.append("\(type.label): originals " + NumberFormat.fixed(train, decimals: 3) + " / " + NumberFormat.fixed(test, decimals: 3)
                + " (train / test prompts), paraphrases " + NumberFormat.fixed(paraphrase, decimals: 3) + " / "
                + NumberFormat.fixed(paraphraseTest, decimals: 3) + ": " + describe((paraphrase + paraphraseTest) / 2) + " on paraphrases.")
        }
        if let ex = accuracy(.explicit, "paraphrase"), let im = accuracy(.implicit, "paraphrase") {
            lines.append(ex > im
                ? "As in the paper, the EX-RM ranks paraphrases better than the IM-RM (" + NumberFormat.fixed(ex, decimals: 3) + " vs " + NumberFormat.fixed(im, decimals: 3) + " on training prompts)."
                : "Unlike the paper, the EX-RM does not rank paraphrases better than the IM-RM here (" + NumberFormat.fixed(ex, decimals: 3) + " vs " + NumberFormat.fixed(im, decimals: 3) + " on training prompts).")
        }
        return lines
    }
}
