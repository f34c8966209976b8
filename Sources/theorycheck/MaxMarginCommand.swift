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
        let report = MaxMarginReport(outcome: outcome, pairs: z.rows, width: z.columns)
        if json {
            try printJSON(report)
        } else {
            print(report.text)
        }
    }
}

extension MaxMarginMethod: ExpressibleByArgument {}

/// What `maxmargin` prints.
struct MaxMarginReport: Encodable {
    let outcome: MaxMarginOutcome
    let pairs: Int
    let width: Int

    enum CodingKeys: String, CodingKey {
        case separable, separator, margin, support, method, pairs, width
        case dualWeights = "dual_weights"
        case kkt = "kkt_worst_relative_violation"
        case hullWeights = "hull_weights"
        case residual, message
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(pairs, forKey: .pairs)
        try container.encode(width, forKey: .width)
        switch outcome {
        case .separable(let solution):
            try container.encode(true, forKey: .separable)
            try container.encode(solution.separator, forKey: .separator)
            try container.encode(solution.margin, forKey: .margin)
            try container.encode(solution.supportIndices, forKey: .support)
            try container.encode(solution.dualWeights, forKey: .dualWeights)
            try container.encode(solution.kkt.worstRelativeViolation, forKey: .kkt)
            try container.encode(solution.method.rawValue, forKey: .method)
        case .nonSeparable(let certificate):
            try container.encode(false, forKey: .separable)
            try container.encode(certificate.supportIndices, forKey: .support)
            try container.encode(certificate.hullWeights, forKey: .hullWeights)
            try container.encode(certificate.residual, forKey: .residual)
            try container.encode(certificate.method.rawValue, forKey: .method)
            try container.encode(certificate.description, forKey: .message)
        }
    }

    var text: String {
        switch outcome {
        case .separable(let solution):
            let support = solution.supportIndices.map(String.init).joined(separator: ", ")
            return """
                Separable: \(pairs) training differences in R^\(width).
                margin 1/|u*| = \(solution.margin)
                |u*| = \(BLAS.norm(solution.separator))
                support pairs (\(solution.supportIndices.count)): \(support)
                KKT worst relative violation: \(solution.kkt.worstRelativeViolation) (\(solution.method.rawValue))
                u* (use --json for the vector).
                """
        case .nonSeparable(let certificate):
            return "Not separable: \(pairs) training differences in R^\(width).\n\(certificate)"
        }
    }
}
