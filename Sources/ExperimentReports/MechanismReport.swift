import Foundation
import TheorycheckCore
import Experiments
import Reports
import RewardDynamics
import TinyLM

/// The terminal summary and the markdown report (notebooks-md/mechanism.md) of `theorycheck mechanism`,
/// over one or more seeds: the tables give every figure as mean ± sd with each seed's value, the line
/// plots draw the mean with each seed's marks, the stacked bars the mean shares, and the findings are
/// written per seed from that seed's numbers.
public struct MechanismReport: Presentation {
    /// One result per seed, in seed order; every seed trains the same reward models.
    public let results: [MechanismResult]

    public init(results: [MechanismResult]) {
        precondition(!results.isEmpty, "a report over no seeds")
        precondition(results.allSatisfy { $0.runs.map(\.type) == results[0].runs.map(\.type) },
                     "every seed trains the same reward models")
        self.results = results
    }

    public init(result: MechanismResult) { self.init(results: [result]) }

    public var terminalText: String { Self.terminalSummary(results) }

    public var jsonDocument: MechanismSeedsJSON { MechanismSeedsJSON(results) }

    /// The runs of reward model number `index`, one per seed.
    static func runs(_ results: [MechanismResult], model index: Int) -> [MechanismRun] {
        results.map { $0.runs[index] }
    }

    /// "seed 0" or "seeds 0, 1, 2".
    static func seedsText(_ results: [MechanismResult]) -> String { seedsLabel(results.map(\.configuration.seed)) }

    private static func number(_ value: Double) -> String {
        NumberFormat.significant(value, digits: 3)
    }

    /// A share as a signed fixed-point number ("+0.42", "-0.07", "0.00").
    static func share(_ value: Double) -> String {
        let text = NumberFormat.fixed(value, decimals: 2)
        return value > 0 && text != "0.00" ? "+" + text : text
    }

    private static func accuracy(_ value: Double) -> String {
        NumberFormat.fixed(value, decimals: 3)
    }

    /// The steps whose single-step breakdowns the tables show: 1, 10, 100, ... and the last.
    static func tableSteps(_ result: MechanismResult) -> [Int] {
        tableSteps(total: result.configuration.steps)
    }

    static func tableSteps(total: Int) -> [Int] {
        var steps: [Int] = []
        var power = 1
        while power < total {
            steps.append(power)
            power *= 10
        }
        if total > 0 { steps.append(total) }
        return steps
    }

    /// One row per set, over the seeds: the actual margin change since step 0, the part of it made by
    /// steps beyond first order, and, over the first-order steps, the summed parts and each part's share
    /// of the gross change, at the last checkpoint; and the accuracy there.
    static func cumulativeTable(_ runs: [MechanismRun]) -> MarkdownTable {
        let parts = MechanismPart.parts(of: runs[0].type)
        var table = MarkdownTable(headers: ["set", "margin change", "in steps beyond 1st order", "sum of parts (1st-order steps)"]
                                      + parts.map(\.label) + ["accuracy"],
                                  alignments: [.left] + Array(repeating: .right, count: parts.count + 4))
        let last = runs.map { $0.checkpoints.last! }
        for set in PersonaDataset.setNames {
            table.addRow([set, last.spread { $0.marginChange[set]! }.significant,
                          last.spread { $0.marginChangeBeyondFirstOrder[set]! }.significant,
                          last.spread { $0.cumulativeFirstOrder[set]!.total }.significant]
                         + parts.map { part in last.spread { $0.cumulativeFirstOrder[set]!.share(of: part) }.text(share, sd: { NumberFormat.fixed($0, decimals: 2) }) }
                         + [last.spread { $0.actual[set]!.accuracy }.fixed])
        }
        return table
    }

    /// One row per set and step, over the seeds: that single step's actual and predicted margin change
    /// and the shares; the step is marked with how many seeds had it beyond first order.
    static func stepTable(_ runs: [MechanismRun], steps: [Int]) -> MarkdownTable {
        let parts = MechanismPart.parts(of: runs[0].type)
        var table = MarkdownTable(headers: ["set", "step", "actual change", "predicted"] + parts.map(\.label),
                                  alignments: [.left, .right] + Array(repeating: .right, count: parts.count + 2))
        for set in PersonaDataset.setNames {
            for step in steps {
                let records = runs.map { $0.steps[step - 1] }
                table.addRow([set, stepLabel(records), records.spread { $0.actual[set]! }.significant,
                              records.spread { $0.predicted[set]!.total }.significant]
                             + parts.map { part in records.spread { $0.predicted[set]!.share(of: part) }.text(share, sd: { NumberFormat.fixed($0, decimals: 2) }) })
            }
        }
        return table
    }

    /// The step number of the seeds' records, starred when beyond first order: "3*" for one seed, "3*
    /// (2 of 3)" when some of several seeds were.
    static func stepLabel(_ records: [MechanismStep]) -> String {
        let beyond = records.filter { !$0.isFirstOrder }.count
        if beyond == 0 { return String(records[0].step) }
        return String(records[0].step) + "*" + (records.count > 1 ? " (\(beyond) of \(records.count))" : "")
    }

    /// The step number, starred when the step was beyond first order.
    static func stepLabel(_ record: MechanismStep) -> String { stepLabel([record]) }

    /// Rows: reward model and set; columns: checkpoint steps, "actual / lazy" accuracy (means over the
    /// seeds), and in how many seeds the lazy accuracy equals the trained one at every checkpoint.
    static func lazyTable(_ results: [MechanismResult]) -> MarkdownTable {
        let steps = results[0].runs.first?.checkpoints.map(\.step) ?? []
        var table = MarkdownTable(headers: ["reward model", "set"] + steps.map { "step \($0)" } + ["seeds lazy = trained throughout"],
                                  alignments: [.left, .left] + steps.map { _ in .right } + [.right])
        for index in results[0].runs.indices {
            let runs = runs(results, model: index)
            for set in PersonaDataset.setNames {
                let cells = steps.indices.map { k -> String in
                    let checkpoints = runs.map { $0.checkpoints[k] }
                    return accuracy(checkpoints.spread { $0.actual[set]!.accuracy }.mean) + " / "
                        + accuracy(checkpoints.spread { $0.lazy[set]!.accuracy }.mean)
                }
                let agreeing = runs.filter { run in
                    run.checkpoints.allSatisfy { abs($0.actual[set]!.accuracy - $0.lazy[set]!.accuracy) < 1e-12 }
                }.count
                table.addRow([runs[0].type.label, set] + cells + ["\(agreeing) of \(runs.count)"])
            }
        }
        return table
    }

    /// Rows: reward model and checkpoint; the kernel drift, the backbone's share of the kernel and the
    /// lazy prediction's error, over the seeds.
    static func driftTable(_ results: [MechanismResult]) -> MarkdownTable {
        var table = MarkdownTable(headers: ["reward model", "step", "kernel drift", "train", "test", "paraphrase",
                                            "paraphrase_test", "scale", "shape", "backbone share of K", "lazy error"])
        for index in results[0].runs.indices {
            let runs = runs(results, model: index)
            for k in runs[0].checkpoints.indices {
                let checkpoints = runs.map { $0.checkpoints[k] }
                let drift = checkpoints.map(\.kernelDrift)
                table.addRow([runs[0].type.label, String(checkpoints[0].step), drift.spread(\.overall).significant]
                             + PersonaDataset.setNames.map { set in drift.spread { $0.sets[set]! }.significant }
                             + [drift.spread(\.scale).significant, drift.spread(\.shape).significant,
                                drift.spread(\.backboneShare).fixed, checkpoints.spread(\.lazyRelativeError).significant])
            }
        }
        return table
    }

    /// One row per reward model: median over steps of the per-step agreement of the summed parts with
    /// the actual set-margin changes, and the agreement at single steps, over the seeds.
    static func firstOrderTable(_ results: [MechanismResult]) -> MarkdownTable {
        let steps = tableSteps(results[0])
        var table = MarkdownTable(headers: ["reward model", "eta", "median rel. error", "steps beyond 1st order"]
                                      + steps.map { "step \($0)" })
        for index in results[0].runs.indices {
            let runs = runs(results, model: index)
            table.addRow([runs[0].type.label, number(runs[0].learningRate), runs.spread(\.firstOrder.relativeError).significant,
                          runs.spread { Double($0.checkpoints.last!.stepsBeyondFirstOrder) }.text { NumberFormat.significant($0, digits: 3) }]
                         + steps.map { step in runs.spread { $0.steps[step - 1].agreement.relativeError }.significant })
        }
        return table
    }

    static func terminalSummary(_ results: [MechanismResult]) -> String {
        let c = results[0].configuration
        let over = results.count > 1 ? " (mean ± sd over \(seedsText(results)), each seed's value in brackets)" : ", \(seedsText(results))"
        var lines = ["Mechanism split of every step's first-order margin change, \(c.steps) steps"
                     + (c.readoutOnly ? " (backbone frozen)" : " (every parameter trains)") + over + ":", ""]
        if c.steps > 0 {
            for index in results[0].runs.indices {
                let runs = runs(results, model: index)
                lines.append("\(runs[0].type.label): shares of the gross change summed over the first-order steps among 1-\(c.steps):")
                lines.append(cumulativeTable(runs).render())
            }
            lines.append("First-order check (relative error of the summed parts against the actual set-margin changes):")
            lines.append(firstOrderTable(results).render())
        }
        for result in results {
            let findings = findings(result)
            if !findings.isEmpty { lines += ["What seed \(result.configuration.seed) shows:"] + findings.map { "- " + $0 } + [""] }
        }
        lines.append("Accuracy, actual / lazy (frozen initial tangent kernel)" + (results.count > 1 ? ", means over the seeds:" : ":"))
        lines.append(lazyTable(results).render())
        lines.append("Kernel drift ||K_t - K_0|| / ||K_0|| (pair kernel), backbone share of K, lazy error:")
        lines.append(driftTable(results).render())
        return lines.joined(separator: "\n")
    }

    // MARK: - Findings

    /// Consecutive step numbers compressed into ranges: [3, 4, 5, 9] -> "3-5, 9".
    static func ranges(_ steps: [Int]) -> String {
        var parts: [String] = []
        var index = 0
        while index < steps.count {
            var end = index
            while end + 1 < steps.count && steps[end + 1] == steps[end] + 1 { end += 1 }
            parts.append(end == index ? String(steps[index]) : "\(steps[index])-\(steps[end])")
            index = end + 1
        }
        return parts.joined(separator: ", ")
    }

    private static func sharesText(_ breakdown: MechanismBreakdown, _ parts: [MechanismPart]) -> String {
        parts.map { "\($0.label) \(share(breakdown.share(of: $0)))" }.joined(separator: ", ")
    }

    /// What the run shows, sentence by sentence from its numbers (nothing here is written in advance
    /// of the numbers except the comparison it makes).
    static func findings(_ result: MechanismResult) -> [String] {
        let c = result.configuration
        guard c.steps > 0 else { return [] }
        var lines: [String] = []
        for run in result.runs {
            let last = run.checkpoints.last!
            let beyond = run.steps.filter { !$0.isFirstOrder }.map(\.step)
            if beyond.isEmpty {
                lines.append("\(run.type.label): every step is first order (the summed parts match the actual set-margin changes to within 10%; median relative error \(number(run.firstOrder.relativeError))).")
            } else {
                lines.append("\(run.type.label): \(beyond.count) of \(c.steps) steps are beyond first order (steps \(ranges(beyond)); median relative error over all steps \(number(run.firstOrder.relativeError))). They made \(number(last.marginChangeBeyondFirstOrder["train"]!)) of the train set's margin change of \(number(last.marginChange["train"]!)) and \(number(last.marginChangeBeyondFirstOrder["paraphrase"]!)) of the paraphrase set's \(number(last.marginChange["paraphrase"]!)); the shares below are over the first-order steps only.")
            }
            let train = last.cumulativeFirstOrder["train"]!
            let paraphrase = last.cumulativeFirstOrder["paraphrase"]!
            if run.type.isImplicit {
                let identity = abs(paraphrase.share(of: .tokenIdentity)) + abs(paraphrase.share(of: .backboneSameToken))
                let shared = result.sharedTokens["paraphrase"]!.map { "\"\($0)\"" }.joined(separator: ", ")
                lines.append("\(run.type.label), train: \(sharesText(train, MechanismPart.parts(of: run.type))).")
                lines.append("\(run.type.label), paraphrase: \(sharesText(paraphrase, MechanismPart.parts(of: run.type))); margin change \(number(last.marginChange["paraphrase"]!)), accuracy \(accuracy(last.actual["paraphrase"]!.accuracy)).")
                if identity < 0.1 {
                    lines.append("On paraphrases the token-identity parts (read-out and backbone same-token) carry \(share(identity)) of the gross change together, as the paper's account predicts: what moves the IM-RM there is competition and cross-token similarity.")
                } else {
                    lines.append("Where this disagrees with the paper's account (on paraphrases only competition and cross-token similarity move the IM-RM): the token-identity parts carry \(NumberFormat.fixed(identity, decimals: 2)) of the gross paraphrase change (read-out token identity \(share(paraphrase.share(of: .tokenIdentity))), the backbone's same-token term \(share(paraphrase.share(of: .backboneSameToken)))). The paraphrase responses share the tokens \(shared) with training responses, and only those tokens can carry these parts."
                                 + (abs(paraphrase.share(of: .tokenIdentity)) < 0.05
                                    ? " The read-out's indicator term nearly vanishes, as in the paper; the shared tokens act through the backbone."
                                    : ""))
                }
            } else {
                let backboneShares = PersonaDataset.setNames.map { last.cumulativeFirstOrder[$0]!.share(of: .backbone) }
                let spread = backboneShares.max()! - backboneShares.min()!
                let margins = PersonaDataset.setNames.map { "\($0) \(number(last.marginChange[$0]!))" }.joined(separator: ", ")
                lines.append("\(run.type.label): the backbone carries \(PersonaDataset.setNames.indices.map { "\(share(backboneShares[$0])) on \(PersonaDataset.setNames[$0])" }.joined(separator: ", ")) of the gross change, the head the rest; margin changes \(margins). "
                             + (spread < 0.05
                                ? "The split is the same on every set, paraphrases included, as representation similarity predicts: the backbone part u^T Jbar J^T u follows the sets the way the head part <hbar, h> does."
                                : "The split differs between sets by up to \(NumberFormat.fixed(spread, decimals: 2)), so the backbone part does not simply follow the head part's representation similarity."))
            }
            let matches = PersonaDataset.setNames.filter { abs(last.lazy[$0]!.accuracy - last.actual[$0]!.accuracy) < 1e-12 }
            let broken = run.checkpoints.first { $0.lazyRelativeError > 0.5 }
            lines.append("\(run.type.label), lazy prediction: at step \(c.steps) its accuracy equals the trained model's on \(matches.count) of \(PersonaDataset.setNames.count) sets; its margin error is \(number(last.lazyRelativeError)) with the kernel \(number(last.kernelDrift.scale)) times its initial size and its shape changed by \(number(last.kernelDrift.shape)) (0 = same shape, 2 = opposite). "
                         + (broken.map { "The margin error first exceeds 0.5 at step \($0.step) (kernel scale \(number($0.kernelDrift.scale)), shape change \(number($0.kernelDrift.shape)))." }
                            ?? "The margin error stays below 0.5 at every checkpoint."))
        }
        return lines
    }

    // MARK: - Figures

    /// The parts' shares at the checkpoints (summed over the first-order steps so far, or of that step
    /// alone), the mean over the seeds (the tables give the spread).
    private func stackedShares(_ runs: [MechanismRun], cumulative: Bool) -> SVGStackedBarPlot {
        let run = runs[0]
        let checkpoints = run.checkpoints.indices.filter { run.checkpoints[$0].step > 0 }
        var categories: [BarCategory] = []
        var breakdowns: [[MechanismBreakdown]] = []
        for set in PersonaDataset.setNames {
            for k in checkpoints {
                let step = run.checkpoints[k].step
                let records = runs.map { $0.steps[step - 1] }
                categories.append(BarCategory(label: cumulative ? String(step) : Self.stepLabel(records).replacingOccurrences(of: " of ", with: "/"), group: set))
                breakdowns.append(runs.map { cumulative ? $0.checkpoints[k].cumulativeFirstOrder[set]! : $0.steps[step - 1].predicted[set]! })
            }
        }
        let series = MechanismPart.parts(of: run.type).map { part in
            BarSeries(name: part.label, values: breakdowns.map { seeds in seeds.spread { $0.share(of: part) }.mean })
        }
        let seeds = runs.count > 1 ? " (mean over \(runs.count) seeds)" : ""
        let title = cumulative
            ? "\(run.type.label): parts of the margin change summed over the first-order steps among 1 ... t\(seeds)"
            : "\(run.type.label): parts of the margin change made by step t alone (* beyond first order)\(seeds)"
        return SVGStackedBarPlot(title: title, yLabel: "share of the gross change (signed)", categories: categories,
                                 series: series, yRange: -1...1, netLabel: "net (sum of shares)")
    }

    /// One series per reward model of `figure` at the checkpoints: the mean over the seeds as the line,
    /// each seed's value as a mark (when there are several).
    private func checkpointSeries(name: (MechanismRun) -> String, runs: [MechanismRun],
                                  _ figure: (MechanismCheckpoint) -> Double) -> PlotSeries
    {
        let steps = runs[0].checkpoints.map { Double($0.step) }
        let means = runs[0].checkpoints.indices.map { k in runs.spread { figure($0.checkpoints[k]) }.mean }
        let marks = runs.count < 2 ? [] : runs.flatMap { run in
            run.checkpoints.map { PlotPoint(x: Double($0.step), y: figure($0)) }
        }
        return PlotSeries(name: name(runs[0]), x: steps, y: means, marks: marks)
    }

    /// Appended to the title of a line plot over several seeds.
    private var seedsNote: String { results.count > 1 ? " (\(results.count) seeds: line mean, marks)" : "" }

    /// The kernel's change of shape over training (its growth is in the drift table): a kernel that only
    /// grows changes the pace of the lazy dynamics, one that changes shape changes where they go.
    private func driftPlot() -> SVGLinePlot {
        let series = results[0].runs.indices.map { index in
            checkpointSeries(name: \.type.label, runs: Self.runs(results, model: index), \.kernelDrift.shape)
        }
        return SVGLinePlot(title: "How much the tangent kernel changes shape" + seedsNote, xLabel: "gradient step",
                           yLabel: "||K_t / ||K_t|| - K_0 / ||K_0|| ||_F", series: series, xScale: .logarithmicSteps,
                           yRange: 0...2)
    }

    private func lazyErrorPlot() -> SVGLinePlot {
        let series = results[0].runs.indices.map { index in
            checkpointSeries(name: \.type.label, runs: Self.runs(results, model: index), \.lazyRelativeError)
        }
        return SVGLinePlot(title: "Lazy prediction: error of the margins" + seedsNote, xLabel: "gradient step",
                           yLabel: "||m_lazy - m|| / ||m - m_0||", series: series, xScale: .logarithmicSteps)
    }

    private func accuracyPlot(_ runs: [MechanismRun]) -> SVGLinePlot {
        var series: [PlotSeries] = []
        for set in PersonaDataset.setNames {
            series.append(checkpointSeries(name: { _ in "\(set), trained" }, runs: runs) { $0.actual[set]!.accuracy })
            series.append(checkpointSeries(name: { _ in "\(set), lazy" }, runs: runs) { $0.lazy[set]!.accuracy })
        }
        return SVGLinePlot(title: "\(runs[0].type.label): accuracy, trained vs. lazy prediction", xLabel: "gradient step",
                           yLabel: "accuracy" + (results.count > 1 ? " (line: mean of \(results.count) seeds, marks: seeds)" : ""), series: series, xScale: .logarithmicSteps, yRange: 0...1,
                           referenceLines: [ReferenceLine(y: 0.5, label: "chance")])
    }

    private static func fileStem(_ type: RewardModelKind) -> String {
        type.rawValue.replacingOccurrences(of: "_", with: "-")
    }

    public func reportBundle(reportPath: String, command: String) throws -> ReportBundle? {
        let result = results[0]
        let c = result.configuration
        let losses = results.map(\.pretraining)
        var report = MarkdownReport(title: "Where the change happens: the tangent kernel of a trained small LM, split by mechanism")
        report.paragraph("""
            `dynamics --model tiny-lm` shows that the empirical tangent kernel over all parameters predicts each \
            step of a small language model almost exactly, while the Assumption-1 (read-out only) prediction \
            misses most of the change. This report splits that tangent-kernel prediction by mechanism \
            (docs/theory.md §7). The setting is the same: Persona pairs through a small causal transformer \
            (d = \(c.backbone.width), \(c.backbone.layers) layers, \(c.backbone.heads) heads) pretrained on the agreeableness grammar (held-out \
            loss \(losses.spread(\.heldOutLossBefore).fixed) -> \(losses.spread(\.heldOutLossAfter).fixed)); each reward model trained by \
            full-batch gradient descent on \(result.pairCounts["train"]!) pairs for \(c.steps) steps, \
            \(c.readoutOnly ? "with the backbone frozen (Assumption 1)" : "every parameter trainable"), beta = \
            \(NumberFormat.significant(c.beta, digits: 2)), learning rates \
            \(result.runs.map { "\($0.type.label) \(Self.number($0.learningRate))" }.joined(separator: ", ")); \(Self.seedsText(results)), each pretraining its own backbone on its own \
            corpus and drawing its own statements\(results.count > 1 ? ". Every figure of the tables is the mean ± sd over the seeds with each seed's value in brackets; the line plots draw the mean and mark each seed, the stacked bars show the mean shares" : "").
            """)
        report.command(command)
        for result in results {
            let findings = Self.findings(result)
            if !findings.isEmpty {
                report.heading(results.count > 1 ? "What seed \(result.configuration.seed) shows" : "What it shows")
                report.bulletList(findings)
            }
        }
        report.heading("The decomposition")
        report.paragraph("""
            One full-batch step moves the parameters by Delta theta = (eta / n) sum_s c_s grad r(s), so a set's \
            mean margin changes to first order by <grad margin, Delta theta>. Every part below is computed, none \
            fitted, by vector-Jacobian products of the hidden states (one reverse sweep per token class and side), \
            and the parts add up to the tangent-kernel prediction to rounding (tested). For the IM-RM, between an \
            evaluation context (ybar, pbar, hbar, Jbar) and a training context (v, p, h, J) the kernel is \
            <e_ybar - pbar, e_v - p> <hbar, h> + (e_ybar - pbar)^T W Jbar J^T W^T (e_v - p):
            """)
        report.bulletList([
            "token identity (read-out): 1[ybar = v] <hbar, h>, Eq. 5's indicator term;",
            "competition (read-out): the rest of Eq. 5, -p(ybar) - pbar(v) + <pbar, p>, times <hbar, h>;",
            "same token (backbone): G[ybar, v] with ybar = v, G = W Jbar J^T W^T (the backbone seen through one token's unembedding row on both sides);",
            "cross token (backbone): G[ybar, v] with ybar != v (two different tokens' unembeddings seen through the backbone);",
            "competition (backbone): -pbar^T G e_v - e_ybar^T G p + pbar^T G p;",
            "EX-RM: head <hbar, h> and backbone u^T Jbar J^T u.",
        ])
        report.paragraph("""
            A part's share is its value over the sum of the parts' absolute values: shares lie in [-1, 1], their \
            absolute values add to 1, and a negative share pushed the set's margin the wrong way (toward the \
            rejected responses). Evaluation tokens that are training targets: \
            \(PersonaDataset.setNames.map { "\($0): \(result.sharedTokens[$0]!.map { "\"\($0)\"" }.joined(separator: ", "))" }.joined(separator: "; ")). \
            Only those can carry token identity or a same-token part; every other token carries exactly 0 there.
            """)

        var figures: [ReportFigure] = []
        if c.steps > 0 {
            report.heading("First-order check")
            report.paragraph("Relative error ||predicted - actual|| / ||actual|| of the summed parts against the actual change of the four sets' mean margins, at single steps and as the median over all steps (1 = predicting no change).")
            report.table(Self.firstOrderTable(results))
            for index in result.runs.indices {
                let runs = Self.runs(results, model: index)
                let run = runs[0]
                report.heading(run.type.label + ": shares of the margin change")
                report.paragraph("Summed over steps 1 ... \(c.steps): the actual change of each set's mean margin since step 0, the part of it made in steps beyond first order, the parts summed over the first-order steps with their shares, and the accuracy at step \(c.steps):")
                report.table(Self.cumulativeTable(runs))
                report.paragraph("Single steps (* = beyond first order" + (results.count > 1 ? ", with in how many seeds" : "") + "):")
                report.table(Self.stepTable(runs, steps: Self.tableSteps(result)))
                for cumulative in [true, false] {
                    let name = "mechanism-\(Self.fileStem(run.type))-\(cumulative ? "cumulative" : "step").svg"
                    figures.append(ReportFigure(fileName: name, svg: stackedShares(runs, cumulative: cumulative).render()))
                    report.image(path: name, altText: "\(run.type.label): shares of the margin change by part, "
                                 + (cumulative ? "summed over steps" : "single steps"))
                }
            }
        }

        report.heading("The lazy prediction: the outcome from the initial kernel")
        report.paragraph("""
            With the tangent kernel frozen at step 0 (the linearized model), the function-space dynamics \
            r(t + 1) = r(t) + (eta / n) K_0 c(r(t)), i.e. m(t + 1) = m(t) + (eta / n) K_pairs sigma(-m(t)), predict \
            every reward at every step without training. For the EX-RM, K_0 is the read-out kernel <hbar, h> alone: \
            at u = 0 the backbone gets no gradient (J^T u = 0), so its lazy prediction is the fixed-representation \
            closed form on the pretrained backbone's hidden states. Accuracy, trained / lazy\(results.count > 1 ? " (means over the seeds), and in how many seeds the two agree at every checkpoint" : ""):
            """)
        report.table(Self.lazyTable(results))
        report.paragraph("""
            Kernel drift is ||K_t - K_0||_F / ||K_0||_F over the pair kernel K[j, i] = <grad m_j, grad m_i> (every \
            evaluation pair against every training pair; per set over its rows); the backbone share is \
            tr(K_backbone) / tr(K) over the training pairs; the lazy error is ||m_lazy - m|| / ||m - m_0|| over every \
            evaluation pair's margin (1 = no better than predicting no change).
            """)
        report.table(Self.driftTable(results))
        figures.append(ReportFigure(fileName: "mechanism-kernel-drift.svg", svg: driftPlot().render()))
        report.image(path: "mechanism-kernel-drift.svg", altText: "change of the kernel's shape over training")
        figures.append(ReportFigure(fileName: "mechanism-lazy-error.svg", svg: lazyErrorPlot().render()))
        report.image(path: "mechanism-lazy-error.svg", altText: "lazy prediction error over training")
        for index in result.runs.indices {
            let runs = Self.runs(results, model: index)
            let run = runs[0]
            let name = "mechanism-\(Self.fileStem(run.type))-lazy-accuracy.svg"
            figures.append(ReportFigure(fileName: name, svg: accuracyPlot(runs).render()))
            report.image(path: name, altText: "\(run.type.label): accuracy, trained vs lazy")
        }

        report.heading("Configuration")
        if results.count > 1 { report.paragraph("The first seed's configuration; the others differ only in `seed` (\(Self.seedsText(results))).") }
        report.codeBlock(try JSONOutput.encode(c), language: "json")
        return ReportBundle(report: report, figures: figures)
    }
}
