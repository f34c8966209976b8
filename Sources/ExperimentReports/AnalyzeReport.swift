import Reports
import ShiftAnalysis

/// `theorycheck analyze`: the terminal tables and the JSON of the representation analysis.
public struct AnalyzeReport: Presentation {
    public let result: RepresentationAnalysisResult
    /// The instance file, as the table names it.
    public let path: String
    /// The model that exported the instance, when its metadata says.
    public let modelName: String?

    public init(result: RepresentationAnalysisResult, path: String, modelName: String? = nil) {
        self.result = result
        self.path = path
        self.modelName = modelName
    }

    public var terminalText: String { render() }

    public var jsonDocument: RepresentationAnalysisResult { result }

    private func number(_ value: Double) -> String {
        value.isNaN ? "-" : NumberFormat.significant(value, digits: 3)
    }

    private func quartiles(_ summary: FiveNumberSummary) -> String {
        summary.count == 0 ? "-" : "[\(number(summary.lowerQuartile)), \(number(summary.median)), \(number(summary.upperQuartile))]"
    }

    /// The rows of a set: all pairs, then every non-empty novelty bin ("1" is the unseen class).
    private func groups(_ set: RepresentationAnalysisResult.SetAnalysis)
        -> [(label: String, group: RepresentationAnalysisResult.Group)]
    {
        [("all", set.all)] + set.noveltyBins.filter { $0.group.pairs > 0 }.map { bin in
            (bin.bin == .unseen ? "1 (unseen)" : bin.bin.label, bin.group)
        }
    }

    func render() -> String {
        var lines: [String] = []
        let mm = result.maxMargin
        let model = modelName.map { " (model \($0))" } ?? ""
        lines.append("Instance \(path)\(model): \(mm.trainingPairs) training pairs, d = \(mm.width), "
                     + "\(result.trainingTokens) distinct training response tokens; IM-RM passes in \(result.precision.rawValue).")
        if mm.separable, let margin = mm.margin {
            lines.append("Training differences are separable: margin 1/|u*| = \(number(margin)), "
                         + "\(mm.supportCount ?? 0) support pairs.")
        } else {
            lines.append("Training differences are NOT separable: no u*, so no long-run EX-RM prediction.")
        }
        lines.append("")
        let trust = result.trust
        lines.append(trust.trusted ? "Trust: no warnings." : "Trust: \(trust.warnings.count) warning(s); read these first.")
        for warning in trust.warnings {
            let scope = [warning.set, warning.model].compactMap { $0 }.joined(separator: ", ")
            lines.append("  ! \(warning.kind.rawValue)\(scope.isEmpty ? "" : " (\(scope))"): \(warning.message)")
        }
        for note in trust.notes { lines.append("  note: \(note)") }
        lines.append("")
        lines.append("Token novelty of a pair = share of its response tokens (both sides) that occur in no training "
                     + "response; 1 = unseen (Theorem 2's class, I = 0 exactly).")
        lines.append("")
        if mm.separable {
            lines.append("EX-RM: <u*, zbar> > 0 predicts a correct ranking in the long run (quartiles q1, median, q3).")
            var explicit = MarkdownTable(headers: ["set", "novelty", "pairs", "<u*,zbar> > 0", "<u*,zbar> quartiles",
                                                   "cos(u*,zbar) quartiles"])
            for set in result.sets {
                for (label, group) in groups(set) {
                    guard let statistics = group.explicit else { continue }
                    explicit.addRow([set.name, label, "\(group.pairs)", number(statistics.fractionPositive),
                                     quartiles(statistics.innerProduct), quartiles(statistics.cosine)])
                }
            }
            lines.append(explicit.render())
        }
        lines.append("IM-RM: first-order margin change of one step, token identity I vs. softmax competition C.")
        var implicit = MarkdownTable(headers: ["set", "novelty", "pairs", "identity share quartiles", "I + C > 0",
                                               "I > 0", "C > 0"])
        for set in result.sets {
            for (label, group) in groups(set) {
                let im = group.implicit
                implicit.addRow([set.name, label, "\(group.pairs)", quartiles(im.tokenIdentityShare),
                                 number(im.predictedPositiveFraction), number(im.identityPositiveFraction),
                                 number(im.competitionPositiveFraction)])
            }
        }
        lines.append(implicit.render())
        if let trained = result.trained {
            lines.append("")
            lines.append("After \(trained.steps) steps (Assumption 1, full-batch gradient descent; EX-RM lr "
                         + "\(number(trained.explicitLearningRate))\(trained.explicitLearningRateGiven ? "" : " (default)"), IM-RM lr "
                         + "\(number(trained.implicitLearningRate))\(trained.implicitLearningRateGiven ? "" : " (default)")): "
                         + "accuracy (ties 1/2), mean margin r+ - r-, and the share of pairs whose winner changed since step \(trained.halfway).")
            var table = MarkdownTable(headers: ["set", "novelty", "pairs", "EX-RM acc", "IM-RM acc", "EX-RM margin",
                                                "IM-RM margin", "EX-RM changed", "IM-RM changed"])
            for set in result.sets {
                for (label, group) in groups(set) {
                    guard let statistics = group.trained else { continue }
                    table.addRow([set.name, label, "\(group.pairs)", number(statistics.explicit.accuracy),
                                  number(statistics.implicit.accuracy), number(statistics.explicit.meanMargin),
                                  number(statistics.implicit.meanMargin), number(statistics.explicit.changedSinceHalfway),
                                  number(statistics.implicit.changedSinceHalfway)])
                }
            }
            lines.append(table.render())
            let start = trained.initial
            let end = trained.final
            lines.append("Training loss: EX-RM \(number(start.explicitLoss)) -> \(number(end.explicitLoss)) "
                         + "(training accuracy \(number(end.explicitTrainingAccuracy))), IM-RM \(number(start.implicitLoss)) -> "
                         + "\(number(end.implicitLoss)) (training accuracy \(number(end.implicitTrainingAccuracy))).")
        }
        return lines.joined(separator: "\n")
    }
}
