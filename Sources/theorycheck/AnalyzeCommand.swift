import ArgumentParser
import Foundation
import MaxMargin
import Reports
import RewardDynamics
import ShiftAnalysis

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "The paper's check on your own model's hidden states: u* vs. evaluation differences, IM-RM update split.",
        discussion: """
            EX-RM side: u* is the max-margin separator of the training differences \
            z_i = hidden[L](chosen_i) - hidden[L](rejected_i). For each evaluation set it prints the quartiles \
            of <u*, zbar> and of cos(u*, zbar) and the fraction with <u*, zbar> > 0 (pairs an EX-RM is \
            predicted to rank correctly in the long run, Theorem 2), for all pairs and split into seen and \
            unseen pairs. A pair is unseen when no token of either response occurs in any training response.

            IM-RM side: the first-order change of each evaluation pair's margin after one gradient step from \
            the instance's unembedding (Eq. 5), split into token identity I and softmax competition C: the \
            quartiles of the share |I| / (|I| + |C|) and the fractions of pairs with I + C > 0, I > 0 and C > 0. \
            Unseen pairs have I = 0 exactly.
            """)

    @Option(help: "Instance file (JSON or safetensors; see the README).")
    var instance: String

    @Option(help: "Max-margin solver: minimumNormPoint or goldfarbIdnani.")
    var method: MaxMarginMethod = .minimumNormPoint

    @Flag(name: .long, help: "Print machine-readable JSON on standard output.")
    var json = false

    func run() throws {
        let loaded = try loadInstanceFile(instance)
        let result: RepresentationAnalysisResult
        do {
            result = try RepresentationAnalysis.run(on: loaded, method: method)
        } catch {
            throw CLIError("\(error)")
        }
        if json {
            try printJSON(result)
        } else {
            print(AnalyzeText(result: result, path: instance).render())
        }
    }
}

/// The terminal tables of `theorycheck analyze`.
struct AnalyzeText {
    let result: RepresentationAnalysisResult
    let path: String

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
