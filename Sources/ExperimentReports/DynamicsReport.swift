import TheorycheckCore
import Experiments
import Foundation
import Reports
import RewardDynamics

/// `theorycheck dynamics` on fixed representations: the checkpoint table on a terminal, the result and
/// its settings as JSON, and the markdown report (settings, the checkpoint table, the agreement figures,
/// one accuracy-over-steps plot per evaluation set, and the command that regenerates it).
public struct DynamicsReport: Presentation {
    public let result: DynamicsResult
    /// Where the instance came from, in words.
    public let source: String
    public let settings: DynamicsSettings

    public init(result: DynamicsResult, source: String, settings: DynamicsSettings) {
        self.result = result
        self.source = source
        self.settings = settings
    }

    public var terminalText: String { DynamicsTable(result: result).render() }

    public var jsonDocument: DynamicsOutput { DynamicsOutput(settings: settings, result: result) }

    /// Figures are named after the report file, so several reports can share a folder.
    public func reportBundle(reportPath: String, command: String) -> ReportBundle? {
        let stem = URL(fileURLWithPath: reportPath).deletingPathExtension().lastPathComponent
        var report = MarkdownReport(title: "Reward-model dynamics under fixed representations")
        report.paragraph("""
            Four reward models trained by full-batch gradient descent on the Bradley-Terry loss with the hidden \
            representations fixed (Assumption 1): EX-RM (a head on the last position), EX-RM mean-pooled, IM-RM \
            (beta ln pi/pi_ref, only the unembedding trains) and IM-RM without reference. Each is trained twice, \
            by updating its read-out and by its closed form in function space (Gram matrices only); the \
            agreement table compares the two. Data: \(source).
            """)
        report.command(command)
        report.bulletList(settings.lines)

        report.heading("Accuracy and margins at checkpoints")
        var table = MarkdownTable(headers: ["step", "reward model", "train loss"]
                                  + result.evaluationSets.flatMap { ["\($0) acc", "\($0) margin", "\($0) mean margin"] })
        for checkpoint in result.checkpoints {
            for kind in result.kinds {
                guard let perSet = checkpoint.metrics[kind] else { continue }
                let numbers = result.evaluationSets.flatMap { name -> [String] in
                    guard let metrics = perSet[name], metrics.pairs > 0 else { return ["-", "-", "-"] }
                    return [NumberFormat.fixed(metrics.accuracy, decimals: 3),
                            NumberFormat.fixed(metrics.normalizedMargin, decimals: 3),
                            NumberFormat.significant(metrics.meanMargin, digits: 3)]
                }
                let loss = checkpoint.trainingLoss[kind].map { NumberFormat.fixed($0, decimals: 4) } ?? "-"
                table.addRow(["\(checkpoint.step)", kind.label, loss] + numbers)
            }
        }
        report.table(table)
        report.paragraph("""
            Accuracy counts ties 1/2. Margin: the normalized margin mean|r+ - r-| / (sd of all 2n rewards + \
            1e-8), a scale-free size that ignores sign. Mean margin: the signed mean(r+ - r-) in reward units, \
            what TRL logs as the reward margin. Train loss: the Bradley-Terry loss on the training pairs.
            """)

        report.heading("Closed forms against training")
        var agreement = MarkdownTable(headers: ["reward model", "closed form vs. trained read-out", "first-order step, max relative error"])
        let worst = result.worstFirstOrderError
        for kind in result.kinds {
            agreement.addRow([kind.label, NumberFormat.significant(result.agreement[kind] ?? .nan, digits: 3),
                              NumberFormat.significant(worst[kind] ?? .nan, digits: 3)])
        }
        report.table(agreement)
        report.paragraph("""
            Closed form vs. trained read-out: the largest |a - b| / max(1, |b|) over all steps and sequences. \
            First-order step: ||predicted - exact||_inf / ||exact||_inf of one step's reward changes at each \
            checkpoint; exact (rounding only) for the EX-RMs, O(eta) for the IM-RMs (Eq. 5 is first order).
            """)
        var shares = MarkdownTable(headers: ["step"] + result.kinds.filter { $0.isImplicit }.map { "\($0.label): token-identity share" })
        for step in Set(result.firstOrder.map(\.step)).sorted() {
            let cells = result.kinds.filter { $0.isImplicit }.map { kind -> String in
                let record = result.firstOrder.first { $0.step == step && $0.kind == kind }
                return record?.tokenIdentityShare.map { NumberFormat.fixed($0, decimals: 3) } ?? "-"
            }
            shares.addRow(["\(step)"] + cells)
        }
        report.paragraph("""
            Share of the first-order IM-RM update (summed over sequences, in absolute value) that comes from the \
            token-identity term 1[y_k = v_l]; the rest is softmax competition.
            """)
        report.table(shares)

        report.heading("Accuracy over steps")
        var figures: [ReportFigure] = []
        for name in result.evaluationSets {
            let series = result.kinds.map { kind in
                PlotSeries(name: kind.label, points: result.trajectory.compactMap { record in
                    record.metrics[kind]?[name].map { PlotPoint(x: Double(record.step), y: $0.accuracy) }
                })
            }
            let plot = SVGLinePlot(
                title: "Accuracy on \(name)", xLabel: "step", yLabel: "accuracy", series: series,
                xScale: .logarithmicSteps, yRange: 0...1, referenceLines: [ReferenceLine(y: 0.5, label: "chance")])
            let fileName = "\(stem)-accuracy-\(name).svg"
            figures.append(ReportFigure(fileName: fileName, svg: plot.render()))
            report.image(path: fileName, altText: "Accuracy on \(name) over steps")
        }
        report.heading("What the run shows")
        report.bulletList(observations())
        return ReportBundle(report: report, figures: figures)
    }

    /// Sentences computed from the numbers of this run.
    private func observations() -> [String] {
        guard let last = result.checkpoints.last else { return [] }
        var lines: [String] = []
        for name in result.evaluationSets {
            let cells = result.kinds.compactMap { kind -> String? in
                last.metrics[kind]?[name].map { "\(kind.label) \(NumberFormat.fixed($0.accuracy, decimals: 3))" }
            }
            lines.append("Accuracy on `\(name)` at step \(last.step): " + cells.joined(separator: ", ") + ".")
        }
        for name in result.evaluationSets where name.hasPrefix("paraphrase") {
            for kind in result.kinds where kind.isImplicit {
                let path = result.checkpoints.compactMap { checkpoint in
                    checkpoint.metrics[kind]?[name].map { "\(NumberFormat.fixed($0.accuracy, decimals: 3)) at step \(checkpoint.step)" }
                }
                lines.append("\(kind.label) on `\(name)`: " + path.joined(separator: ", ") + ".")
                if let flip = lateFlip(kind, name) { lines.append(flip) }
            }
        }
        return lines
    }

    /// Where an accuracy that fell below chance comes back above it, read off the recorded trajectory:
    /// the last recorded step below 1/2 and the first one above, with the training loss at both.
    private func lateFlip(_ kind: RewardModelKind, _ name: String) -> String? {
        let points = result.trajectory.compactMap { record -> (step: Int, accuracy: Double, loss: Double?)? in
            record.metrics[kind]?[name].map { (record.step, $0.accuracy, record.trainingLoss[kind]) }
        }
        guard let lowest = points.firstIndex(where: { $0.accuracy < 0.5 }),
              let above = points[lowest...].firstIndex(where: { $0.accuracy > 0.5 })
        else { return nil }
        let before = points[above - 1]
        let after = points[above]
        func loss(_ value: Double?) -> String { value.map { NumberFormat.significant($0, digits: 3) } ?? "-" }
        return "\(kind.label) on `\(name)` comes back above chance late: accuracy \(NumberFormat.fixed(before.accuracy, decimals: 3)) "
            + "at step \(before.step) (training loss \(loss(before.loss))), \(NumberFormat.fixed(after.accuracy, decimals: 3)) at step "
            + "\(after.step) (training loss \(loss(after.loss))). Both phases are softmax competition; see the README."
    }
}
