import Experiments
import Foundation
import Reports
import RewardDynamics
import ShiftAnalysis

/// The terminal text and the markdown report of `theorycheck theorem2`.
public struct Theorem2Summary: Presentation {
    public let result: Theorem2Result
    public let source: String
    public let instance: Instance

    public init(result: Theorem2Result, source: String, instance: Instance) {
        self.result = result
        self.source = source
        self.instance = instance
    }

    public var terminalText: String { text }

    public var jsonDocument: Theorem2Result { result }

    private func number(_ value: Double?, _ digits: Int = 3) -> String {
        guard let value else { return "n/a" }
        return value.isNaN ? "-" : NumberFormat.fixed(value, decimals: digits)
    }

    /// Predicted vs. actual, one row per evaluation set and one for all pairs pooled.
    var table: MarkdownTable {
        var table = MarkdownTable(headers: [
            "set", "pairs", "unseen pairs", "IM-RM acc", "IM-RM acc (unseen)", "EX-RM predicted <u*,zbar> > 0",
            "EX-RM acc", "EX-RM predicted (unseen)", "EX-RM acc (unseen)", "EX-RM agrees with u*",
        ])
        for figures in result.sets + [result.pooled] {
            table.addRow([
                figures.name, "\(figures.pairs)", "\(figures.unseenPairs)", number(figures.implicitAccuracy),
                number(figures.implicitUnseenAccuracy), number(figures.predictedCorrectFraction),
                number(figures.explicitAccuracy), number(figures.unseenPredictedCorrectFraction),
                number(figures.explicitUnseenAccuracy), number(figures.signAgreement),
            ])
        }
        return table
    }

    /// cos(u(t), u*) and |u(t)| at steps 1, 10, 100, ... and the last.
    var cosineTable: MarkdownTable {
        var table = MarkdownTable(headers: [
            "step", "cos(u(t), u*)", "direction error e = |u/|u| - u*/|u*||", "e * ln t", "|u(t)|",
        ])
        for checkpoint in result.checkpoints where isDecade(checkpoint.step) || checkpoint.step == result.steps {
            // |a - b| for unit vectors a, b is sqrt(2 - 2 cos); the theory says it shrinks like 1/ln t.
            let error = checkpoint.cosineToMaxMargin.map { (max(0, 2 - 2 * $0)).squareRoot() }
            let scaled = error.map { checkpoint.step > 1 ? $0 * log(Double(checkpoint.step)) : Double.nan }
            table.addRow(["\(checkpoint.step)", number(checkpoint.cosineToMaxMargin, 4), number(error, 4),
                          number(scaled, 3), NumberFormat.significant(checkpoint.headNorm, digits: 4)])
        }
        return table
    }

    private func isDecade(_ step: Int) -> Bool {
        var power = 1
        while power < step { power *= 10 }
        return power == step
    }

    private var rowsLine: String {
        let unchanged = result.unseenRowsUnchanged
            ? "all \(result.unseenRowsChecked) bit-identical to their start"
            : "\(result.changedUnseenRows.count) of \(result.unseenRowsChecked) CHANGED (rows \(result.changedUnseenRows.prefix(10).map(String.init).joined(separator: ", ")))"
        return "IM-RM unembedding rows of tokens never seen in a training response: \(unchanged) "
            + "(training-token rows moved: \(result.trainingRowsChanged) of \(result.trainingRows))"
    }

    private var maxMarginLine: String {
        let summary = result.maxMargin
        guard summary.separable, let margin = summary.margin else {
            return "Max-margin separator: the \(summary.trainingPairs) training differences are NOT separable; "
                + "Theorem 2's EX-RM prediction does not apply (no u*)."
        }
        return "Max-margin separator u*: margin 1/|u*| = \(NumberFormat.significant(margin, digits: 4)), "
            + "\(summary.support?.count ?? 0) of \(summary.trainingPairs) training pairs are support vectors."
    }

    var text: String {
        var lines: [String] = []
        lines.append("Theorem 2 on the \(source): \(instance.train.count) training pairs, d = \(instance.hiddenWidth), "
                     + "V = \(instance.vocabularySize); \(result.steps) steps, lr \(NumberFormat.significant(result.explicitLearningRate, digits: 4)), "
                     + "im-lr \(NumberFormat.significant(result.implicitLearningRate, digits: 4)).")
        lines.append(maxMarginLine)
        lines.append(rowsLine)
        lines.append("")
        lines.append("Predicted vs. actual after \(result.steps) steps (unseen: no response token occurs in a training response):")
        lines.append(table.render())
        lines.append("EX-RM head direction vs. u*:")
        lines.append(cosineTable.render())
        return lines.joined(separator: "\n")
    }

    public func reportBundle(reportPath: String, command: String) -> ReportBundle? {
        var report = MarkdownReport(title: "Theorem 2: unseen tokens, IM-RM vs. EX-RM")
        report.paragraph("""
            Razin et al. (ICLR 2026), Theorem 2, under fixed representations and single-token responses \
            (Assumptions 1-2; docs/theory.md §4). Instance: \(source); \(instance.train.count) training \
            pairs, hidden width d = \(instance.hiddenWidth), vocabulary V = \(instance.vocabularySize). Both \
            reward models are trained by full-batch gradient descent for \(result.steps) steps (EX-RM head \
            learning rate \(NumberFormat.significant(result.explicitLearningRate, digits: 4)), IM-RM unembedding \
            learning rate \(NumberFormat.significant(result.implicitLearningRate, digits: 4))). A pair is *unseen* when no token of either response occurs in a \
            training response.
            """)
        report.command(command)
        report.heading("What the theory predicts and what happened")
        var bullets = [maxMarginLine, rowsLine + "."]
        bullets.append("IM-RM accuracy on the \(result.pooled.unseenPairs) unseen evaluation pairs: "
                       + "\(number(result.pooled.implicitUnseenAccuracy)) (theory: exactly 0.5; every margin exactly 0: "
                       + "\(result.pooled.implicitUnseenMarginsZero)).")
        if let predicted = result.pooled.unseenPredictedCorrectFraction {
            bullets.append("EX-RM on the unseen pairs: u* predicts \(number(predicted)) correct, the trained head "
                           + "reaches \(number(result.pooled.explicitUnseenAccuracy)); over all evaluation pairs the "
                           + "trained head's ranking agrees with sign <u*, zbar> on \(number(result.pooled.signAgreement)).")
        }
        let trajectory = result.cosineTrajectory.filter { $0.step >= 1 }
        if let first = trajectory.first, let last = trajectory.last, last.step > first.step {
            func error(_ cosine: Double) -> Double { (max(0, 2 - 2 * cosine)).squareRoot() }
            var line = "cos(u(t), u*) rises slowly, from \(number(first.cosine, 4)) at step \(first.step) to "
                + "\(number(last.cosine, 4)) at step \(last.step) (direction error e from \(number(error(first.cosine), 4)) "
                + "to \(number(error(last.cosine), 4)))."
            if trajectory.count >= 2 {
                let previous = trajectory[trajectory.count - 2]
                let scaledLast = error(last.cosine) * log(Double(max(last.step, 2)))
                let scaledPrevious = error(previous.cosine) * log(Double(max(previous.step, 2)))
                line += scaledLast > scaledPrevious
                    ? " e * ln t is still growing, so the asymptotic e ~ 1/ln t regime (|u(t) - u* ln t| bounded) "
                        + "is not reached by this step: the approach is slower still."
                    : " e * ln t has levelled off, as the asymptotic e ~ 1/ln t says."
            }
            bullets.append(line)
        }
        report.bulletList(bullets)
        report.heading("Predicted vs. actual, per evaluation set")
        report.table(table)
        report.heading("Direction of the EX-RM head")
        report.image(path: "theorem2-cosine.svg", altText: "cosine between the EX-RM head and u* over steps")
        report.table(cosineTable)
        report.heading("Accuracy over steps")
        report.image(path: "theorem2-accuracy.svg", altText: "EX-RM and IM-RM accuracy per evaluation set over steps")
        return ReportBundle(report: report, figures: [
            ReportFigure(fileName: "theorem2-cosine.svg", svg: cosinePlot.render()),
            ReportFigure(fileName: "theorem2-accuracy.svg", svg: accuracyPlot.render()),
        ])
    }

    private var cosinePlot: SVGLinePlot {
        let trajectory = result.cosineTrajectory
        return SVGLinePlot(
            title: "EX-RM head vs. max-margin separator", xLabel: "step", yLabel: "cos(u(t), u*)",
            series: [PlotSeries(name: "cos(u(t), u*)", x: trajectory.map { Double($0.step) },
                                y: trajectory.map(\.cosine))],
            xScale: .logarithmicSteps, yRange: 0...1, referenceLines: [ReferenceLine(y: 1, label: "u* direction")])
    }

    private var accuracyPlot: SVGLinePlot {
        let steps = result.checkpoints.map { Double($0.step) }
        var series: [PlotSeries] = []
        for (index, name) in result.setNames.enumerated() {
            series.append(PlotSeries(name: "EX-RM \(name)", x: steps, y: result.checkpoints.map { $0.explicitAccuracy[index] }))
        }
        for (index, name) in result.setNames.enumerated() {
            series.append(PlotSeries(name: "IM-RM \(name)", x: steps, y: result.checkpoints.map { $0.implicitAccuracy[index] }))
        }
        return SVGLinePlot(
            title: "Accuracy per evaluation set", xLabel: "step", yLabel: "accuracy", series: series,
            xScale: .logarithmicSteps, yRange: 0...1, referenceLines: [ReferenceLine(y: 0.5, label: "chance")])
    }
}
