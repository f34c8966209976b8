import ExperimentReports
import ArgumentParser
import Foundation
import LinearAlgebra
import MaxMargin
import RewardDynamics
import ShiftAnalysis

struct MaxMarginCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maxmargin",
        abstract: "The max-margin separator u* of an instance's EX-RM training differences.",
        discussion: """
            Solves u* = argmin |u|^2 subject to <u, z_i> >= 1 for the training differences \
            z_i = hidden[L](chosen_i) - hidden[L](rejected_i) (no bias), and certifies the answer by its KKT \
            conditions. For separable data, gradient descent on an EX-RM head converges in direction to u* \
            (Theorem 2), so <u*, zbar> > 0 predicts which evaluation pairs it eventually ranks correctly. \
            Non-separable data are reported as such (exit code 0), with a certificate: convex weights whose \
            combination of the z_i is (numerically) zero.
            """)

    @Option(help: "Instance file (JSON or safetensors; see the README).")
    var instance: String

    @Option(help: "Solver: minimumNormPoint (primary) or goldfarbIdnani (independent cross-check).")
    var method: MaxMarginMethod = .minimumNormPoint

    @Flag(name: .long, help: "Print machine-readable JSON on standard output.")
    var json = false

    func run() throws {
        let loaded = try loadInstanceFile(instance)
        let z = PairDifferences.matrix(loaded.train, in: loaded)
        let outcome: MaxMarginOutcome
        do {
            outcome = try HardMarginSVM.solve(z, method: method)
        } catch {
            throw CLIError("\(error)")
        }
        try emit(MaxMarginReport(outcome: outcome, pairs: z.rows, width: z.columns), json: json)
    }
}

extension MaxMarginMethod: ExpressibleByArgument {}
