import ArgumentParser
import RewardDynamics
import Tasks

/// Options that pick the instance: the built-in token-shift task and its knobs, or a user's file.
struct TokenShiftOptions: ParsableArguments {
    @OptionGroup var file: InstanceOption

    @Option(help: "Seed of the built-in task (prompts, meanings, token identities, unembedding).")
    var seed: UInt64?

    @Option(help: "Implicit reward beta of the built-in task (default \(TokenShiftTask.standard.beta)).")
    var beta: Double?

    @Option(help: """
        Built-in task: cosine between a paraphrase token's meaning and the original's, in [0, 1] \
        (default \(TokenShiftTask.standard.alignment)).
        """)
    var alignment: Double?

    @Option(help: """
        Built-in task: fraction of paraphrase answer tokens shared with the training answers, in [0, 1] \
        (default \(TokenShiftTask.standard.overlap)).
        """)
    var overlap: Double?

    func validate() throws {
        if let beta, !(beta > 0 && beta.isFinite) {
            throw ValidationError("--beta must be a positive number, got \(beta)")
        }
        if let alignment, !(0...1).contains(alignment) {
            throw ValidationError("--alignment must lie in [0, 1], got \(alignment)")
        }
        if let overlap, !(0...1).contains(overlap) {
            throw ValidationError("--overlap must lie in [0, 1], got \(overlap)")
        }
        if file.instance != nil && (seed != nil || beta != nil || alignment != nil || overlap != nil) {
            throw ValidationError("--seed, --beta, --alignment and --overlap set up the built-in task; they cannot be combined with --instance")
        }
    }

    /// The built-in task with these settings.
    var task: TokenShiftTask {
        var task = TokenShiftTask.standard
        if let seed { task.seed = seed }
        if let beta { task.beta = beta }
        if let alignment { task.alignment = alignment }
        if let overlap { task.overlap = overlap }
        return task
    }

    /// The user's file if one was given, otherwise the built-in task.
    func instance() throws -> Instance {
        if let path = file.instance { return try loadInstanceFile(path) }
        do {
            return try task.make()
        } catch let error as InstanceValidationError {
            throw CLIError("built-in task: \(error)")
        }
    }

    /// A one-line description of where the instance came from.
    var source: String {
        if let path = file.instance { return "instance file \(path)" }
        let task = task
        return "built-in token-shift task (seed \(task.seed), beta \(task.beta), alignment \(task.alignment), overlap \(task.overlap))"
    }
}
