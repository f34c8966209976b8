import TheorycheckCore
import Foundation
import Experiments
import Reports
import TinyLM

/// The terminal table and the markdown report (notebooks-md/tiny-lm-dynamics.md) of
/// `theorycheck dynamics --model tiny-lm`, over one or more seeds: every figure of a trained model is
/// shown as mean ± sd with each seed's value, and the plots draw the mean with each seed's marks.
public struct TinyLMDynamicsReport: Presentation {
    /// One result per seed, in seed order; every seed trains the same reward models.
    public let results: [TinyLMDynamicsResult]

    public init(results: [TinyLMDynamicsResult]) {
        precondition(!results.isEmpty, "a report over no seeds")
        precondition(results.allSatisfy { $0.runs.map(\.type) == results[0].runs.map(\.type) },
                     "every seed trains the same reward models")
        self.results = results
    }

    public init(result: TinyLMDynamicsResult) { self.init(results: [result]) }

    public var terminalText: String { Self.terminalTable(results) }

    public var jsonDocument: TinyLMDynamicsSeedsJSON { TinyLMDynamicsSeedsJSON(results) }

    private static func number(_ value: Double) -> String {
        NumberFormat.significant(value, digits: 3)
    }

    /// "seed 0" or "seeds 0, 1, 2".
    static func seedsText(_ results: [TinyLMDynamicsResult]) -> String { seedsLabel(results.map(\.configuration.seed)) }

    /// The runs of reward model number `index`, one per seed.
    static func runs(_ results: [TinyLMDynamicsResult], model index: Int) -> [TinyLMDynamicsRun] {
        results.map { $0.runs[index] }
    }

    /// One row per reward model: median over steps of the correlation and relative error of both
    /// predictions, over the seeds.
    static func predictionTable(_ results: [TinyLMDynamicsResult]) -> MarkdownTable {
        var table = MarkdownTable(
            headers: ["reward model", "eta", "Assumption 1: correlation", "relative error", "NTK: correlation", "relative error"],
            alignments: [.left, .right, .right, .right, .right, .right])
        for index in results[0].runs.indices {
            let runs = runs(results, model: index)
            table.addRow([runs[0].type.label, number(runs[0].learningRate),
                          runs.spread(\.assumption1.correlation).significant,
                          runs.spread(\.assumption1.relativeError).significant,
                          runs.spread(\.ntk.correlation).significant, runs.spread(\.ntk.relativeError).significant])
        }
        return table
    }

    /// Per-step relative error of one prediction at the checkpoint steps, over the seeds: how the
    /// prediction holds up as training goes on.
    static func trajectoryTable(_ results: [TinyLMDynamicsResult], ntk: Bool) -> MarkdownTable {
        let steps = (results[0].runs.first?.checkpoints.map(\.step) ?? []).filter { $0 > 0 }
        var table = MarkdownTable(headers: ["reward model"] + steps.map { "step \($0)" },
                                  alignments: [.left] + steps.map { _ in .right })
        for index in results[0].runs.indices {
            let runs = runs(results, model: index)
            let cells = steps.map { step -> String in
                let entries = runs.compactMap { run in run.trajectory.first { $0.step == step } }
                guard entries.count == runs.count else { return "-" }
                return entries.spread { ntk ? $0.ntk.relativeError : $0.assumption1.relativeError }.significant
            }
            table.addRow([runs[0].type.label] + cells)
        }
        return table
    }

    /// Accuracy per set at the last step, over the seeds.
    static func accuracyTable(_ results: [TinyLMDynamicsResult]) -> MarkdownTable {
        var table = MarkdownTable(headers: ["reward model"] + PersonaDataset.setNames,
                                  alignments: [.left] + PersonaDataset.setNames.map { _ in .right })
        for index in results[0].runs.indices {
            let runs = runs(results, model: index)
            table.addRow([runs[0].type.label] + PersonaDataset.setNames.map { set in
                runs.spread { $0.checkpoints.last!.sets[set]!.accuracy }.fixed
            })
        }
        return table
    }

    static func terminalTable(_ results: [TinyLMDynamicsResult]) -> String {
        let c = results[0].configuration
        let over = results.count > 1 ? "; mean ± sd over \(seedsText(results)), each seed's value in brackets" : " (\(seedsText(results)))"
        return [
            "First-order predictions of every evaluation reward's change per step (\(results[0].evaluationSequences) sequences), median over \(c.steps) steps"
                + (c.readoutOnly ? ", backbone frozen" : ", every parameter trains") + over + ":",
            predictionTable(results).render(), "",
            "Assumption-1 relative error at single steps:", trajectoryTable(results, ntk: false).render(), "",
            "NTK relative error at single steps:", trajectoryTable(results, ntk: true).render(), "",
            "Accuracy at step \(c.steps):", accuracyTable(results).render(),
        ].joined(separator: "\n")
    }

    /// Predicted against actual changes at the sampled steps, each step's values divided by the RMS of its
    /// actual changes, so that the large first steps do not squeeze the later ones into a dot.
    private func scatter(_ runs: [TinyLMDynamicsRun]) -> SVGScatterPlot {
        var assumption1: [PlotPoint] = []
        var ntk: [PlotPoint] = []
        let run = runs[0]
        for sample in runs.flatMap(\.samples) {
            let rms = (sample.actual.reduce(0) { $0 + $1 * $1 } / Double(max(1, sample.actual.count))).squareRoot()
            guard rms > 0 else { continue }
            for index in sample.actual.indices {
                assumption1.append(PlotPoint(x: sample.assumption1[index] / rms, y: sample.actual[index] / rms))
                ntk.append(PlotPoint(x: sample.ntk[index] / rms, y: sample.actual[index] / rms))
            }
        }
        let steps = run.samples.map { String($0.step) }.joined(separator: ", ")
        let seeds = runs.count > 1 ? ", \(runs.count) seeds pooled" : ""
        return SVGScatterPlot(title: "\(run.type.label): reward change per step (steps \(steps)\(seeds))",
                              xLabel: "predicted change / RMS actual change of the step",
                              yLabel: "actual change / RMS actual change of the step",
                              series: [PlotSeries(name: "Assumption 1 (read-out only)", points: assumption1),
                                       PlotSeries(name: "empirical NTK (all parameters)", points: ntk)])
    }

    /// Relative error per step: the mean over seeds as a line, each seed's value as a mark at
    /// log-spaced steps (five per decade), so the spread shows without a line per seed.
    private func errorPlot(ntk: Bool) -> SVGLinePlot {
        let steps = results[0].configuration.steps
        let marked = Set(StepSchedule.logSpaced(perDecade: 5).steps(upTo: steps))
        let series = results[0].runs.indices.map { index -> PlotSeries in
            let runs = Self.runs(results, model: index)
            let error: (StepAgreement) -> Double = { ntk ? $0.ntk.relativeError : $0.assumption1.relativeError }
            let means = runs[0].trajectory.indices.map { t in runs.spread { error($0.trajectory[t]) }.mean }
            let marks = results.count < 2 ? [] : runs.flatMap { run in
                run.trajectory.filter { marked.contains($0.step) }.map { PlotPoint(x: Double($0.step), y: error($0)) }
            }
            return PlotSeries(name: runs[0].type.label, x: runs[0].trajectory.map { Double($0.step) }, y: means, marks: marks)
        }
        let what = results.count > 1 ? " (\(results.count) seeds: line mean, marks)" : ""
        return SVGLinePlot(title: (ntk ? "Empirical-NTK prediction: relative error per step" : "Assumption-1 prediction: relative error per step") + what,
                           xLabel: "gradient step", yLabel: "||predicted - actual|| / ||actual||", series: series,
                           xScale: .logarithmic(zeroAt: nil), showsMarkers: false, yScale: .logarithmic(zeroAt: nil))
    }

    public func reportBundle(reportPath: String, command: String) throws -> ReportBundle? {
        let c = results[0].configuration
        let losses = results.map(\.pretraining)
        var report = MarkdownReport(title: "Reward dynamics of small language models trained for real")
        report.paragraph("""
            The Persona data (docs/theory.md §6) through a small causal transformer (d = \(c.backbone.width), \(c.backbone.layers) \
            layers, \(c.backbone.heads) heads) pretrained on the agreeableness grammar (held-out loss \
            \(losses.spread(\.heldOutLossBefore).fixed) -> \(losses.spread(\.heldOutLossAfter).fixed)), \
            \(Self.seedsText(results)) (each seed pretrains its own backbone on its own corpus and draws its own \
            statements). Each reward model is trained \
            by full-batch gradient descent on \(c.trainStatements * c.pairsPerStatement) training pairs for \(c.steps) steps, \
            \(c.readoutOnly ? "with the backbone frozen (Assumption 1)" : "every parameter trainable"); beta = \
            \(NumberFormat.significant(c.beta, digits: 2)). At every step the change of each of the \
            \(results[0].evaluationSequences) evaluation rewards (all four sets, training pairs included) is compared with two \
            first-order predictions:
            """)
        report.bulletList([
            "Assumption 1: the closed forms of the dynamics core evaluated on the current hidden states and next-token laws (EX-RMs: the kernel of whole-sequence representations; IM-RMs: the Eq. 5 rho formula, token identity plus softmax competition). It is the change the step would make if only the read-out moved; the EX-GRM's is <grad_W r, Delta W> through the tape.",
            "Empirical NTK: <grad_theta r(x, y), Delta theta> over every trainable parameter, with the per-sequence gradients from the tape; for gradient descent this is docs/theory.md's (eta / n) sum_i s_i <grad r, grad r_i+ - grad r_i->.",
        ])
        report.command(command)
        if results.count > 1 {
            report.paragraph("Every figure below is the mean ± sd over the seeds with each seed's value in brackets; the line plots draw the mean and mark each seed's value, the scatter plots pool the seeds.")
        }
        report.heading("Agreement: median over steps of each step's correlation and relative error")
        report.table(Self.predictionTable(results))
        report.paragraph("Relative error = ||predicted - actual|| / ||actual||; predicting no change scores 1.")
        report.heading("How the agreement evolves (relative error at single steps)")
        report.paragraph("Assumption 1:")
        report.table(Self.trajectoryTable(results, ntk: false))
        report.paragraph("Empirical NTK:")
        report.table(Self.trajectoryTable(results, ntk: true))
        var figures = [
            ReportFigure(fileName: "tiny-lm-dynamics-assumption1-error.svg", svg: errorPlot(ntk: false).render()),
            ReportFigure(fileName: "tiny-lm-dynamics-ntk-error.svg", svg: errorPlot(ntk: true).render()),
        ]
        report.image(path: "tiny-lm-dynamics-assumption1-error.svg", altText: "Assumption-1 relative error per step")
        report.image(path: "tiny-lm-dynamics-ntk-error.svg", altText: "NTK relative error per step")
        report.heading("Predicted vs. actual reward changes")
        report.paragraph("Each point is one evaluation sequence at one of the sampled steps; both coordinates are divided by the RMS of that step's actual changes. Points on the diagonal are predicted exactly.")
        for index in results[0].runs.indices {
            let runs = Self.runs(results, model: index)
            let run = runs[0]
            let name = "tiny-lm-dynamics-scatter-\(run.type.rawValue.replacingOccurrences(of: "_", with: "-")).svg"
            figures.append(ReportFigure(fileName: name, svg: scatter(runs).render()))
            report.image(path: name, altText: "\(run.type.label): predicted vs actual reward changes")
        }
        report.heading("Accuracy at step \(c.steps)")
        report.table(Self.accuracyTable(results))
        report.heading("Configuration")
        if results.count > 1 { report.paragraph("The first seed's configuration; the others differ only in `seed` (\(Self.seedsText(results))).") }
        report.codeBlock(try JSONOutput.encode(c), language: "json")
        return ReportBundle(report: report, figures: figures)
    }
}
