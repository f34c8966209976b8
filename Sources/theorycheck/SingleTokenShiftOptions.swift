import ArgumentParser
import RewardDynamics
import Tasks

/// Options that pick the built-in single-token task (Theorem 2's setting) and its knobs.
struct SingleTokenShiftOptions: ParsableArguments {
    @Option(help: "Seed of the built-in single-token task (prompts, meanings, identities, unembedding).")
    var seed: UInt64 = 0

    @Option(help: "Implicit reward beta (built-in task).")
    var beta = SingleTokenShiftTask.standard.beta

    @Option(help: "Cosine between an unseen answer token's meaning and its stance direction, in [0, 1].")
    var alignment = SingleTokenShiftTask.standard.alignment

    @Option(name: .customLong("context-noise"),
            help: "Size of the per-sequence perturbation of whole-sequence representations (>= 0).")
    var contextNoise = SingleTokenShiftTask.standard.contextNoise

    func validate() throws {
        guard beta > 0, beta.isFinite else { throw ValidationError("--beta must be a positive number, got \(beta)") }
        guard (0...1).contains(alignment) else { throw ValidationError("--alignment must lie in [0, 1], got \(alignment)") }
        guard contextNoise >= 0, contextNoise.isFinite else {
            throw ValidationError("--context-noise must be a number >= 0, got \(contextNoise)")
        }
    }

    var task: SingleTokenShiftTask {
        var task = SingleTokenShiftTask.standard
        task.seed = seed
        task.beta = beta
        task.alignment = alignment
        task.contextNoise = contextNoise
        return task
    }

    func instance() throws -> Instance {
        do {
            return try task.make()
        } catch let error as InstanceValidationError {
            throw CLIError("built-in single-token task: \(error)")
        }
    }
}
