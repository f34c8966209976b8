import ArgumentParser

struct DynamicsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dynamics", abstract: "(being built)")

    func run() throws {
        throw CLIError("not implemented yet")
    }
}
