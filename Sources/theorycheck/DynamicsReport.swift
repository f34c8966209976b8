import Foundation
import Reports
import RewardDynamics

/// The markdown report of `theorycheck dynamics --report PATH`: settings, the checkpoint table, the
/// agreement figures, one accuracy-over-steps plot per evaluation set, and the command that regenerates it.
struct DynamicsReport {
    let result: DynamicsResult
    let source: String
    let settings: [String]
    let command: String

    /// Figures are named after the report file, so several reports can share a folder.
    func bundle(reportPath: String) -> ReportBundle {
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
        report.bulletList(settings)

        report.heading("Accuracy and normalized margin at checkpoints")
        var table = MarkdownTable(headers: ["step", "reward model"] + result.evaluationSets.flatMap { ["\($0) acc", "\($0) margin"] })
        for checkpoint in result.checkpoints {
            for kind in result.kinds {
                guard let perSet = checkpoint.metrics[kind] else { continue }
                let numbers = result.evaluationSets.flatMap { name -> [String] in
                    guard let metrics = perSet[name] else { return ["-", "-"] }
                    return [NumberFormat.fixed(metrics.accuracy, decimals: 3),
                            NumberFormat.fixed(metrics.normalizedMargin, decimals: 3)]
                }
                table.addRow(["\(checkpoint.step)", kind.label] + numbers)
            }
        }
        report.table(table)

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
        var shares = MarkdownTable(headers: ["step"] + result.kinds.filter { !$0.isExplicit }.map { "\($0.label): token-identity share" })
        for step in Set(result.firstOrder.map(\.step)).sorted() {
            let cells = result.kinds.filter { !$0.isExplicit }.map { kind -> String in
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
            for kind in result.kinds where !kind.isExplicit {
                let path = result.checkpoints.compactMap { checkpoint in
                    checkpoint.metrics[kind]?[name].map { "\(NumberFormat.fixed($0.accuracy, decimals: 3)) at step \(checkpoint.step)" }
                }
                lines.append("\(kind.label) on `\(name)`: " + path.joined(separator: ", ") + ".")
            }
        }
        return lines
    }
}
