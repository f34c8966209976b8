import ArgumentParser
import Foundation
import RewardDynamics

struct StepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step",
        abstract: "Take one gradient step on an instance and compare every reward's change with its closed form.",
        discussion: """
            One full-batch gradient-descent step on the mean Bradley-Terry loss over the instance's `train` \
            pairs, for the EX-RM (head on hidden[L]) and the IM-RM (unembedding W, reference frozen). For \
            every sequence: the reward before the step, the exact change (step, then recompute) and the \
            closed-form prediction; for the IM-RM also the prediction's token-identity and \
            softmax-competition parts (they sum to the prediction) and the change of ln pi(y|x).
            """)

    @OptionGroup var instanceOption: InstanceOption

    @Option(help: "Learning rate of the step (the same eta for both reward models).")
    var eta = 0.1

    @Flag(name: .long, help: "Print machine-readable JSON on standard output instead of a table.")
    var json = false

    func validate() throws {
        guard instanceOption.instance != nil else {
            throw ValidationError("--instance is required: the file to take the step on (see `theorycheck help step`)")
        }
        guard eta > 0, eta.isFinite else { throw ValidationError("--eta must be a positive number, got \(eta)") }
    }

    func run() throws {
        let instance = try loadInstanceFile(instanceOption.instance!)
        let analysis = try StepAnalysis(instance: instance, learningRate: eta)
        if json {
            try printJSON(analysis)
            return
        }
        print("One step at eta = \(eta), beta = \(instance.beta)")
        print("Bradley-Terry loss before the step: EX-RM \(format(analysis.loss[.explicit]!)), IM-RM \(format(analysis.loss[.implicit]!))")
        print("")
        let header = ["sequence", "EX reward", "EX exact", "EX pred", "IM reward", "IM exact", "IM pred", "identity",
                      "competition", "d ln pi"]
        print(header.map { $0.padding(toLength: 12, withPad: " ", startingAt: 0) }.joined(separator: " "))
        for id in instance.sequenceIDs {
            let entry = analysis.sequences[id]!
            let cells = [String(id.prefix(12))] + [
                entry.explicit.reward, entry.explicit.exactDelta, entry.explicit.predictedDelta, entry.implicit.reward,
                entry.implicit.exactDelta, entry.implicit.predictedDelta, entry.implicit.tokenIdentityPart,
                entry.implicit.competitionPart, entry.implicit.deltaLogProbability,
            ].map(format)
            print(cells.map { $0.padding(toLength: 12, withPad: " ", startingAt: 0) }.joined(separator: " "))
        }
    }

    private func format(_ value: Double) -> String {
        String(format: "%.4e", value)
    }
}
