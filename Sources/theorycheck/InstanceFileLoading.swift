import InstanceIO
import RewardDynamics

/// Loads a user's instance file for a subcommand, turning every failure into one `CLIError` line.
func loadInstanceFile(_ path: String) throws -> Instance {
    do {
        return try InstanceLoader.load(path: path)
    } catch {
        throw CLIError(error.description)
    }
}
