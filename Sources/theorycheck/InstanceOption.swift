import ArgumentParser
import InstanceIO
import RewardDynamics

/// `--instance FILE`: a user's instance, JSON or safetensors (see the README for both formats).
struct InstanceOption: ParsableArguments {
    @Option(name: .long, help: "Instance file (JSON or safetensors; see the README). Default: the built-in task.")
    var instance: String?
}

/// Loads a user's instance file for a subcommand, turning every failure into one `CLIError` line.
func loadInstanceFile(_ path: String) throws -> Instance {
    do {
        return try InstanceLoader.load(path: path)
    } catch {
        throw CLIError(error.description)
    }
}
