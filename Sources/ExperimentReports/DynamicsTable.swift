import Experiments
import Foundation
import Reports
import RewardDynamics

/// The terminal table of `theorycheck dynamics`.
struct DynamicsTable {
    let result: DynamicsResult

    func render() -> String {
        var lines: [String] = []
        let sets = result.evaluationSets
        let header = pad("step", 6) + pad("reward model", 22) + pad("train loss", 11) + sets.map { pad($0, 22) }.joined()
        lines.append(header)
        lines.append(pad("", 39) + sets.map { _ in pad("acc   norm.m  mean.m", 22) }.joined())
        for checkpoint in result.checkpoints {
            for kind in result.kinds {
                guard let perSet = checkpoint.metrics[kind] else { continue }
                let cells = sets.map { name -> String in
                    guard let metrics = perSet[name], metrics.pairs > 0 else { return pad("-", 22) }
                    return pad(format(metrics.accuracy, 3) + " " + format(metrics.normalizedMargin, 3) + "  "
                               + signed(metrics.meanMargin), 22)
                }
                let loss = checkpoint.trainingLoss[kind].map { format($0, 4) } ?? "-"
                lines.append(pad("\(checkpoint.step)", 6) + pad(kind.label, 22) + pad(loss, 11) + cells.joined())
            }
        }
        lines.append("")
        lines.append("acc: accuracy, ties count 1/2. norm.m: normalized margin mean|r+ - r-| / (sd of all 2n rewards + 1e-8),")
        lines.append("which ignores sign. mean.m: signed mean margin mean(r+ - r-), in reward units.")
        lines.append("")
        lines.append("Agreement, closed form vs. trained read-out (max over steps and sequences of |a - b| / max(1, |b|)):")
        for kind in result.kinds {
            lines.append("  " + pad(kind.label, 22) + String(format: "%.2e", result.agreement[kind] ?? .nan))
        }
        lines.append("First-order prediction of one step vs. the step (max relative error over checkpoints):")
        let worst = result.worstFirstOrderError
        for kind in result.kinds {
            lines.append("  " + pad(kind.label, 22) + String(format: "%.2e", worst[kind] ?? .nan))
        }
        return lines.joined(separator: "\n")
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    private func format(_ value: Double, _ digits: Int) -> String {
        String(format: "%.\(digits)f", value)
    }

    private func signed(_ value: Double) -> String {
        String(format: "%+.3g", value)
    }
}
