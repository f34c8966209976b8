import Reports
import ShiftAnalysis

/// `theorycheck analyze`: the terminal tables and the JSON of the representation analysis.
public struct AnalyzeReport: Presentation {
    public let result: RepresentationAnalysisResult
    /// The instance file, as the table names it.
    public let path: String

    public init(result: RepresentationAnalysisResult, path: String) {
        self.result = result
        self.path = path
    }

    public var terminalText: String { render() }

    public var jsonDocument: RepresentationAnalysisResult { result }

    private func number(_ value: Double) -> String {
        value.isNaN ? "-" : NumberFormat.significant(value, digits: 3)
    }

    private func quartiles(_ summary: FiveNumberSummary) -> String {
        summary.count == 0 ? "-" : "[\(number(summary.lowerQuartile)), \(number(summary.median)), \(number(summary.upperQuartile))]"
    }

    func render() -> String {
        var lines: [String] = []
        let mm = result.maxMargin
        lines.append("Instance \(path): \(mm.trainingPairs) training pairs, d = \(mm.width), "
                     + "\(result.trainingTokens) distinct training response tokens.")
        if mm.separable, let margin = mm.margin {
            lines.append("Training differences are separable: margin 1/|u*| = \(number(margin)), "
                         + "\(mm.supportCount ?? 0) support pairs.")
        } else {
            lines.append("Training differences are NOT separable: no u*, so no EX-RM prediction (IM-RM side below).")
        }
        lines.append("")
        lines.append("EX-RM: <u*, zbar> > 0 predicts a correct ranking in the long run (quartiles q1, median, q3).")
        var explicit = MarkdownTable(headers: ["set", "group", "pairs", "<u*,zbar> > 0", "<u*,zbar> quartiles",
                                               "cos(u*,zbar) quartiles"])
        var implicit = MarkdownTable(headers: ["set", "group", "pairs", "identity share quartiles", "I + C > 0",
                                               "I > 0", "C > 0"])
        for set in result.sets {
            for (label, group) in [("all", set.all), ("seen", set.seen), ("unseen", set.unseen)] {
                if let statistics = group.explicit {
                    explicit.addRow([set.name, label, "\(group.pairs)", number(statistics.fractionPositive),
                                     quartiles(statistics.innerProduct), quartiles(statistics.cosine)])
                }
                let im = group.implicit
                implicit.addRow([set.name, label, "\(group.pairs)", quartiles(im.tokenIdentityShare),
                                 number(im.predictedPositiveFraction), number(im.identityPositiveFraction),
                                 number(im.competitionPositiveFraction)])
            }
        }
        if mm.separable { lines.append(explicit.render()) }
        lines.append("IM-RM: first-order margin change of one step, token identity I vs. softmax competition C.")
        lines.append(implicit.render())
        return lines.joined(separator: "\n")
    }
}
