import ExperimentReports
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
        try OptionBounds.requirePositive(eta, "eta")
    }

    func run() throws {
        let instance = try loadInstanceFile(instanceOption.instance!)
        try emit(StepReport(analysis: try StepAnalysis(instance: instance, learningRate: eta), instance: instance,
                            learningRate: eta), json: json)
    }
}
