import ExperimentReports
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
        try emit(AnalyzeReport(result: result, path: instance), json: json)
    }
}
