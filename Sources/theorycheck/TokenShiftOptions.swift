import ArgumentParser
import RewardDynamics
import Tasks

/// Options that pick the instance: the built-in token-shift task and its knobs, or a user's file.
struct TokenShiftOptions: ParsableArguments {
    @Option(help: "Seed of the built-in task (prompts, meanings, token identities, unembedding).")
    var seed: UInt64 = 0

    @Option(help: "Implicit reward beta (built-in task).")
    var beta = TokenShiftTask.standard.beta

    @Option(help: "Cosine between a paraphrase token's meaning and the original's, in [0, 1].")
    var alignment = TokenShiftTask.standard.alignment

    @Option(help: "Fraction of paraphrase answer tokens shared with the training answers, in [0, 1].")
    var overlap = TokenShiftTask.standard.overlap

    func validate() throws {
        guard beta > 0, beta.isFinite else { throw ValidationError("--beta must be a positive number, got \(beta)") }
        guard (0...1).contains(alignment) else { throw ValidationError("--alignment must lie in [0, 1], got \(alignment)") }
        guard (0...1).contains(overlap) else { throw ValidationError("--overlap must lie in [0, 1], got \(overlap)") }
    }

    var task: TokenShiftTask {
        var task = TokenShiftTask.standard
        task.seed = seed
        task.beta = beta
        task.alignment = alignment
        task.overlap = overlap
        return task
    }

    func instance() throws -> Instance {
        do {
            return try task.make()
        } catch let error as InstanceValidationError {
            throw CLIError("built-in task: \(error)")
        }
    }
}
