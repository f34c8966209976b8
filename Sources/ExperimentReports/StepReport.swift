import Foundation
import RewardDynamics

/// `theorycheck step`: one full-batch step on an instance, every sequence's reward before it, its exact
/// change and the closed-form prediction (for the IM-RM split into token identity and competition).
public struct StepReport: Presentation {
    public let analysis: StepAnalysis
    public let instance: Instance
    public let learningRate: Double

    public init(analysis: StepAnalysis, instance: Instance, learningRate: Double) {
        self.analysis = analysis
        self.instance = instance
        self.learningRate = learningRate
    }

    public var jsonDocument: StepAnalysis { analysis }

    public var terminalText: String {
        var lines = ["One step at eta = \(learningRate), beta = \(instance.beta)"]
        lines.append("Bradley-Terry loss before the step: EX-RM \(format(analysis.loss[.explicit]!)), "
                     + "IM-RM \(format(analysis.loss[.implicit]!))")
        lines.append("")
        let header = ["sequence", "EX reward", "EX exact", "EX pred", "IM reward", "IM exact", "IM pred", "identity",
                      "competition", "d ln pi"]
        lines.append(header.map { $0.padding(toLength: 12, withPad: " ", startingAt: 0) }.joined(separator: " "))
        for id in instance.sequenceIDs {
            let entry = analysis.sequences[id]!
            let cells = [String(id.prefix(12))] + [
                entry.explicit.reward, entry.explicit.exactDelta, entry.explicit.predictedDelta, entry.implicit.reward,
                entry.implicit.exactDelta, entry.implicit.predictedDelta, entry.implicit.tokenIdentityPart,
                entry.implicit.competitionPart, entry.implicit.deltaLogProbability,
            ].map(format)
            lines.append(cells.map { $0.padding(toLength: 12, withPad: " ", startingAt: 0) }.joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }

    private func format(_ value: Double) -> String {
        String(format: "%.4e", value)
    }
}
