import ArgumentParser

struct StepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "step", abstract: "(being built)")

    func run() throws {
        throw CLIError("not implemented yet")
    }
}
