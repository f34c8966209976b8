import Experiments
import Foundation
import Reports
import ShiftAnalysis

/// The terminal table and the markdown report of `theorycheck sweep`.
public struct PhaseDiagramSummary: Presentation {
    public let result: PhaseDiagramResult
    public let learningRate: Double
    public let implicitLearningRate: Double
    public let beta: Double

    public init(result: PhaseDiagramResult, learningRate: Double, implicitLearningRate: Double, beta: Double) {
        self.result = result
        self.learningRate = learningRate
        self.implicitLearningRate = implicitLearningRate
        self.beta = beta
    }

    public var terminalText: String { text }

    public var jsonDocument: PhaseDiagramResult { result }

    private func fixed(_ value: Double) -> String { NumberFormat.fixed(value, decimals: 3) }
    private func signed(_ value: Double) -> String { (value >= 0 ? "+" : "") + NumberFormat.fixed(value, decimals: 3) }

    /// One row per cell: alignment, overlap, then EX-RM and IM-RM accuracy early and final.
    var table: MarkdownTable {
        let early = result.earlyStep
        var table = MarkdownTable(headers: [
            "alignment", "overlap", "EX-RM step \(early)", "IM-RM step \(early)",
            "EX-RM step \(result.steps)", "IM-RM step \(result.steps)",
        ])
        for cell in result.cells {
            table.addRow([fixed(cell.alignment), fixed(cell.overlap), fixed(cell.explicitEarly),
                          fixed(cell.implicitEarly), fixed(cell.explicitFinal), fixed(cell.implicitFinal)])
        }
        return table
    }

    /// Mean accuracy at the highest minus the lowest value of each knob, averaged over the other knob:
    /// how strongly a figure follows alignment and how strongly it follows overlap.
    struct Effects {
        let alongAlignment: Double
        let alongOverlap: Double
    }

    func effects(_ value: (PhaseDiagramCell) -> Double) -> Effects {
        let grid = result.grid(value)
        let highAlignment = result.alignments.indices.max { result.alignments[$0] < result.alignments[$1] }!
        let lowAlignment = result.alignments.indices.min { result.alignments[$0] < result.alignments[$1] }!
        let highOverlap = result.overlaps.indices.max { result.overlaps[$0] < result.overlaps[$1] }!
        let lowOverlap = result.overlaps.indices.min { result.overlaps[$0] < result.overlaps[$1] }!
        func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }
        let alongAlignment = mean(result.overlaps.indices.map { grid[highAlignment][$0] - grid[lowAlignment][$0] })
        let alongOverlap = mean(result.alignments.indices.map { grid[$0][highOverlap] - grid[$0][lowOverlap] })
        return Effects(alongAlignment: alongAlignment, alongOverlap: alongOverlap)
    }

    private var effectLines: [String] {
        let figures: [(String, (PhaseDiagramCell) -> Double)] = [
            ("EX-RM, step \(result.earlyStep)", { $0.explicitEarly }),
            ("IM-RM, step \(result.earlyStep)", { $0.implicitEarly }),
            ("EX-RM, step \(result.steps)", { $0.explicitFinal }),
            ("IM-RM, step \(result.steps)", { $0.implicitFinal }),
        ]
        return figures.map { label, value in
            let effect = effects(value)
            return "\(label): accuracy change from lowest to highest alignment \(signed(effect.alongAlignment)), "
                + "from lowest to highest overlap \(signed(effect.alongOverlap))"
        }
    }

    private var setup: String {
        "Built-in token-shift task, evaluation set `\(result.evaluationSet)`; \(result.cells.count) cells x "
            + "\(result.seeds.count) seeds (\(result.seeds.map(String.init).joined(separator: ", "))); "
            + "\(result.steps) steps; EX-RM lr \(NumberFormat.significant(learningRate, digits: 6)), IM-RM lr \(NumberFormat.significant(implicitLearningRate, digits: 6)), beta \(NumberFormat.significant(beta, digits: 6))."
    }

    /// Cells where the IM-RM is below chance early and above chance at the end.
    private var flippedCells: [PhaseDiagramCell] {
        result.cells.filter { $0.implicitEarly < 0.5 && $0.implicitFinal > 0.5 }
    }

    private var flipLine: String {
        let flipped = flippedCells
        guard !flipped.isEmpty else {
            return "No cell has the IM-RM below chance at step \(result.earlyStep) and above chance at step \(result.steps)."
        }
        let list = flipped.map { "(alignment \(fixed($0.alignment)), overlap \(fixed($0.overlap)))" }
        return "IM-RM below chance at step \(result.earlyStep) but above chance at step \(result.steps) in "
            + "\(flipped.count) of \(result.cells.count) cells: " + list.joined(separator: ", ") + "."
    }

    var text: String {
        var lines = [setup, "Accuracy on `\(result.evaluationSet)`, mean over seeds:", table.render()]
        lines.append("How strongly each figure follows each knob (mean over the other knob):")
        lines += effectLines.map { "  " + $0 }
        lines.append(flipLine)
        return lines.joined(separator: "\n")
    }

    private func heatMap(_ title: String, _ value: (PhaseDiagramCell) -> Double) -> SVGHeatMap {
        SVGHeatMap(
            title: title, rowLabels: result.alignments.map { "alignment \(fixed($0))" },
            columnLabels: result.overlaps.map { "overlap \(fixed($0))" }, values: result.grid(value))
    }

    public func reportBundle(reportPath: String, command: String) -> ReportBundle? {
        let early = result.earlyStep
        let final = result.steps
        var report = MarkdownReport(title: "Phase diagram: representation alignment x token overlap")
        report.paragraph("""
            \(setup) Each cell trains an EX-RM (linear head on the last hidden state) and an IM-RM \
            (beta ln pi/pi_ref, unembedding trained) with fixed representations (Assumption 1) and reports \
            their accuracy on `\(result.evaluationSet)`: training prompts, paraphrased responses whose answer \
            tokens are shared with training for a fraction `overlap` of them and whose meaning has cosine \
            `alignment` with the original. Values are means over seeds; 0.5 is chance.
            """)
        report.command(command)
        report.heading("What the theory predicts")
        report.paragraph("""
            To first order in the learning rate (docs/theory.md §§2-3), the EX-RM's update of a pair is \
            an inner product of whole-sequence representations, so its accuracy on paraphrases should follow \
            `alignment`; the IM-RM's update carries the token-identity indicator 1[ybar_k = y_l] plus softmax \
            competition, so its accuracy should follow `overlap`, and with no shared tokens competition can push \
            paraphrases below chance (the paper's Persona experiment: 0.02).
            """)
        report.heading("Early training: step \(early)")
        report.image(path: "phase-diagram-ex-rm-early.svg", altText: "EX-RM accuracy at step \(early)")
        report.image(path: "phase-diagram-im-rm-early.svg", altText: "IM-RM accuracy at step \(early)")
        report.heading("End of training: step \(final)")
        report.image(path: "phase-diagram-ex-rm-final.svg", altText: "EX-RM accuracy at step \(final)")
        report.image(path: "phase-diagram-im-rm-final.svg", altText: "IM-RM accuracy at step \(final)")
        report.heading("How strongly each figure follows each knob")
        report.bulletList(effectLines + [flipLine])
        report.heading("Reading the two diagrams")
        report.paragraph("""
            Early in training (the first diagram) the picture is the first-order one: the IM-RM's accuracy on \
            paraphrases rises with token overlap, and with no shared answer tokens it sits far below chance \
            wherever the paraphrase's representations align with the originals (softmax competition: raising \
            "yes" in a context lowers the probability of tokens such as "certainly" in similar contexts). The \
            EX-RM follows representation similarity, which here comes from meaning alignment and also from \
            shared answer tokens (a shared token carries its meaning along), so it is high except at alignment 0 \
            with little overlap.
            """)
        report.paragraph("""
            At the end of training (the second diagram) the IM-RM's below-chance cells can flip to high \
            accuracy where alignment is above 0 (the cells listed above). This is not the first-order effect and the task was not tuned \
            to show or hide it. Our reading: once the chosen training tokens saturate their contexts, the Bradley-Terry \
            gradient keeps pushing the rejected training tokens down; in contexts that resemble the rejected ones \
            the freed probability mass moves to the chosen-stance tokens, so the rejected paraphrase's \
            log-probability falls faster than the chosen paraphrase's, and the IM-RM ranks paraphrases correctly \
            through representation similarity of contexts, not token identity. Theorem 2's strict claim \
            (margin exactly 0 for unseen tokens) needs single-token responses sharing one context; these \
            multi-token responses do not satisfy it (see `theorycheck theorem2` and notebooks-md/theorem2.md \
            for the exact case). So the phase diagram supports "IM-RM follows overlap" only early in training \
            on this task.
            """)
        report.heading("All cells")
        report.table(table)
        return ReportBundle(report: report, figures: [
            ReportFigure(fileName: "phase-diagram-ex-rm-early.svg",
                         svg: heatMap("EX-RM accuracy on \(result.evaluationSet), step \(early)") { $0.explicitEarly }.render()),
            ReportFigure(fileName: "phase-diagram-im-rm-early.svg",
                         svg: heatMap("IM-RM accuracy on \(result.evaluationSet), step \(early)") { $0.implicitEarly }.render()),
            ReportFigure(fileName: "phase-diagram-ex-rm-final.svg",
                         svg: heatMap("EX-RM accuracy on \(result.evaluationSet), step \(final)") { $0.explicitFinal }.render()),
            ReportFigure(fileName: "phase-diagram-im-rm-final.svg",
                         svg: heatMap("IM-RM accuracy on \(result.evaluationSet), step \(final)") { $0.implicitFinal }.render()),
        ])
    }
}
