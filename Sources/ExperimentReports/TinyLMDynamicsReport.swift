import TheorycheckCore
import Foundation
import Experiments
import Reports
import TinyLM

/// The terminal table and the markdown report (notebooks-md/tiny-lm-dynamics.md) of
/// `theorycheck dynamics --model tiny-lm`.
public struct TinyLMDynamicsReport: Presentation {
    public let result: TinyLMDynamicsResult

    public init(result: TinyLMDynamicsResult) {
        self.result = result
    }

    public var terminalText: String { Self.terminalTable(result) }

    public var jsonDocument: TinyLMDynamicsJSON { TinyLMDynamicsJSON(result) }

    private static func number(_ value: Double) -> String {
        NumberFormat.significant(value, digits: 3)
    }

    /// One row per reward model: median over steps of the correlation and relative error of both predictions.
    static func predictionTable(_ result: TinyLMDynamicsResult) -> MarkdownTable {
        var table = MarkdownTable(
            headers: ["reward model", "eta", "Assumption 1: correlation", "relative error", "NTK: correlation", "relative error"],
            alignments: [.left, .right, .right, .right, .right, .right])
        for run in result.runs {
            table.addRow([run.type.label, number(run.learningRate), number(run.assumption1.correlation),
                          number(run.assumption1.relativeError), number(run.ntk.correlation), number(run.ntk.relativeError)])
        }
        return table
    }

    /// Per-step agreement at the checkpoint steps: how the predictions hold up as training goes on.
    static func trajectoryTable(_ result: TinyLMDynamicsResult) -> MarkdownTable {
        let steps = (result.runs.first?.checkpoints.map(\.step) ?? []).filter { $0 > 0 }
        var table = MarkdownTable(headers: ["reward model"] + steps.map { "step \($0): A1 / NTK rel. error" },
                                  alignments: [.left] + steps.map { _ in .right })
        for run in result.runs {
            let cells = steps.map { step -> String in
                guard let entry = run.trajectory.first(where: { $0.step == step }) else { return "-" }
                return number(entry.assumption1.relativeError) + " / " + number(entry.ntk.relativeError)
            }
            table.addRow([run.type.label] + cells)
        }
        return table
    }

    /// Accuracy per set at the last step.
    static func accuracyTable(_ result: TinyLMDynamicsResult) -> MarkdownTable {
        var table = MarkdownTable(headers: ["reward model"] + PersonaDataset.setNames,
                                  alignments: [.left] + PersonaDataset.setNames.map { _ in .right })
        for run in result.runs {
            let final = run.checkpoints.last!.sets
            table.addRow([run.type.label] + PersonaDataset.setNames.map { NumberFormat.fixed(final[$0]!.accuracy, decimals: 3) })
        }
        return table
    }

    static func terminalTable(_ result: TinyLMDynamicsResult) -> String {
        let c = result.configuration
        return [
            "First-order predictions of every evaluation reward's change per step (\(result.evaluationSequences) sequences), median over \(c.steps) steps"
                + (c.readoutOnly ? " (backbone frozen):" : " (every parameter trains):"),
            predictionTable(result).render(), "",
            "Relative error at selected steps (Assumption 1 / NTK):", trajectoryTable(result).render(), "",
            "Accuracy at step \(c.steps):", accuracyTable(result).render(),
        ].joined(separator: "\n")
    }

    /// Predicted against actual changes at the sampled steps, each step's values divided by the RMS of its
    /// actual changes, so that the large first steps do not squeeze the later ones into a dot.
    private func scatter(_ run: TinyLMDynamicsRun) -> SVGScatterPlot {
        var assumption1: [PlotPoint] = []
        var ntk: [PlotPoint] = []
        for sample in run.samples {
            let rms = (sample.actual.reduce(0) { $0 + $1 * $1 } / Double(max(1, sample.actual.count))).squareRoot()
            guard rms > 0 else { continue }
            for index in sample.actual.indices {
                assumption1.append(PlotPoint(x: sample.assumption1[index] / rms, y: sample.actual[index] / rms))
                ntk.append(PlotPoint(x: sample.ntk[index] / rms, y: sample.actual[index] / rms))
            }
        }
        let steps = run.samples.map { String($0.step) }.joined(separator: ", ")
        return SVGScatterPlot(title: "\(run.type.label): reward change per step (steps \(steps))",
                              xLabel: "predicted change / RMS actual change of the step",
                              yLabel: "actual change / RMS actual change of the step",
                              series: [PlotSeries(name: "Assumption 1 (read-out only)", points: assumption1),
                                       PlotSeries(name: "empirical NTK (all parameters)", points: ntk)])
    }

    private func errorPlot(ntk: Bool) -> SVGLinePlot {
        let series = result.runs.map { run in
            PlotSeries(name: run.type.label, x: run.trajectory.map { Double($0.step) },
                       y: run.trajectory.map { ntk ? $0.ntk.relativeError : $0.assumption1.relativeError })
        }
        return SVGLinePlot(title: ntk ? "Empirical-NTK prediction: relative error per step" : "Assumption-1 prediction: relative error per step",
                           xLabel: "gradient step", yLabel: "||predicted - actual|| / ||actual||", series: series,
                           xScale: .logarithmic(zeroAt: nil), showsMarkers: false)
    }

    public func reportBundle(reportPath: String, command: String) throws -> ReportBundle? {
        let c = result.configuration
        var report = MarkdownReport(title: "Reward dynamics of small language models trained for real")
        report.paragraph("""
            The Persona data (docs/theory.md §6) through a small causal transformer (d = \(c.backbone.width), \(c.backbone.layers) \
            layers, \(c.backbone.heads) heads) pretrained on the agreeableness grammar (held-out loss \
            \(NumberFormat.fixed(result.pretraining.heldOutLossBefore, decimals: 3)) -> \
            \(NumberFormat.fixed(result.pretraining.heldOutLossAfter, decimals: 3))). Each reward model is trained \
            by full-batch gradient descent on \(c.trainStatements * c.pairsPerStatement) training pairs for \(c.steps) steps, \
            \(c.readoutOnly ? "with the backbone frozen (Assumption 1)" : "every parameter trainable"); beta = \
            \(NumberFormat.significant(c.beta, digits: 2)). At every step the change of each of the \
            \(result.evaluationSequences) evaluation rewards (all four sets, training pairs included) is compared with two \
            first-order predictions:
            """)
        report.bulletList([
            "Assumption 1: the closed forms of the dynamics core evaluated on the current hidden states and next-token laws (EX-RMs: the kernel of whole-sequence representations; IM-RMs: the Eq. 5 rho formula, token identity plus softmax competition). It is the change the step would make if only the read-out moved; the EX-GRM's is <grad_W r, Delta W> through the tape.",
            "Empirical NTK: <grad_theta r(x, y), Delta theta> over every trainable parameter, with the per-sequence gradients from the tape; for gradient descent this is docs/theory.md's (eta / n) sum_i s_i <grad r, grad r_i+ - grad r_i->.",
        ])
        report.command(command)
        report.heading("Agreement: median over steps of each step's correlation and relative error")
        report.table(Self.predictionTable(result))
        report.paragraph("Relative error = ||predicted - actual|| / ||actual||; predicting no change scores 1.")
        report.heading("How the agreement evolves (relative error at single steps)")
        report.table(Self.trajectoryTable(result))
        var figures = [
            ReportFigure(fileName: "tiny-lm-dynamics-assumption1-error.svg", svg: errorPlot(ntk: false).render()),
            ReportFigure(fileName: "tiny-lm-dynamics-ntk-error.svg", svg: errorPlot(ntk: true).render()),
        ]
        report.image(path: "tiny-lm-dynamics-assumption1-error.svg", altText: "Assumption-1 relative error per step")
        report.image(path: "tiny-lm-dynamics-ntk-error.svg", altText: "NTK relative error per step")
        report.heading("Predicted vs. actual reward changes")
        report.paragraph("Each point is one evaluation sequence at one of the sampled steps; both coordinates are divided by the RMS of that step's actual changes. Points on the diagonal are predicted exactly.")
        for run in result.runs {
            let name = "tiny-lm-dynamics-scatter-\(run.type.rawValue.replacingOccurrences(of: "_", with: "-")).svg"
            figures.append(ReportFigure(fileName: name, svg: scatter(run).render()))
            report.image(path: name, altText: "\(run.type.label): predicted vs actual reward changes")
        }
        report.heading("Accuracy at step \(c.steps)")
        report.table(Self.accuracyTable(result))
        report.heading("Configuration")
        report.codeBlock(try JSONOutput.encode(c), language: "json")
        return ReportBundle(report: report, figures: figures)
    }
}
