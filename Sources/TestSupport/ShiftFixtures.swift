import LinearAlgebra
import RewardDynamics
import Tasks

/// Small instances for the Theorem 2 tests: sizes stay tiny so the suite runs fast in debug.
public enum ShiftFixtures {
    /// The single-token task, shrunk (d still above the number of training pairs, so it is separable).
    public static func singleToken(seed: UInt64, alignment: Double) throws -> Instance {
        var task = SingleTokenShiftTask()
        task.seed = seed
        task.alignment = alignment
        task.hiddenWidth = 16
        task.vocabularySize = 40
        task.trainPrompts = 10
        task.testPrompts = 6
        task.answersPerStance = 2
        return try task.make()
    }

    /// The multi-token token-shift task, shrunk.
    public static func tokenShift(seed: UInt64, alignment: Double = 0.9, overlap: Double = 0) -> TokenShiftTask {
        var task = TokenShiftTask()
        task.seed = seed
        task.alignment = alignment
        task.overlap = overlap
        task.hiddenWidth = 16
        task.vocabularySize = 48
        task.trainPrompts = 6
        task.testPrompts = 3
        task.templateLength = 2
        task.answersPerStance = 2
        return task
    }

    /// A hand-made single-token instance in R^2 whose max-margin answer differs from the early head's.
    ///
    /// Training differences z_1 = (2, 0), z_2 = (0, 1): u* = (1/2, 1). Gradient descent from u = 0 first moves
    /// along z_1 + z_2 = (2, 1). The evaluation pair "late" has zbar = (-1, 0.7): the early head ranks it
    /// wrongly (<(2, 1), zbar> = -1.3), u* rightly (<u*, zbar> = 0.2). The pair "never" has zbar = (1, -0.7):
    /// the reverse. Every pair shares its prompt context; tokens 0-3 are training tokens, 4-7 unseen.
    public static func lateFlip() throws -> Instance {
        let prompt = [0.3, -0.2]
        func sequence(_ token: Int, _ whole: [Double]) -> TokenSequence {
            TokenSequence(tokens: [token], hidden: Matrix(rowVectors: [prompt, whole]))
        }
        let sequences: [String: TokenSequence] = [
            "a+": sequence(0, [2, 0]), "a-": sequence(1, [0, 0]),
            "b+": sequence(2, [0, 1]), "b-": sequence(3, [0, 0]),
            "late+": sequence(4, [-1, 0.7]), "late-": sequence(5, [0, 0]),
            "never+": sequence(6, [1, -0.7]), "never-": sequence(7, [0, 0]),
        ]
        var generator = SeededGenerator(seed: 11)
        return try Instance(
            beta: 0.5, unembedding: GaussianSampling.matrix(rows: 8, columns: 2, using: &generator),
            sequences: sequences,
            train: [PreferencePair(chosen: "a+", rejected: "a-"), PreferencePair(chosen: "b+", rejected: "b-")],
            evaluationSets: [
                EvaluationSet(name: "late", pairs: [PreferencePair(chosen: "late+", rejected: "late-")]),
                EvaluationSet(name: "never", pairs: [PreferencePair(chosen: "never+", rejected: "never-")]),
            ])
    }

    /// The same instance with every hidden state multiplied by `scale`.
    public static func scaled(_ instance: Instance, by scale: Double) throws -> Instance {
        var sequences: [String: TokenSequence] = [:]
        for (id, sequence) in instance.sequences {
            sequences[id] = TokenSequence(tokens: sequence.tokens, hidden: scale * sequence.hidden)
        }
        return try Instance(beta: instance.beta, unembedding: instance.unembedding,
                            referenceUnembedding: instance.referenceUnembedding, head: instance.head,
                            sequences: sequences, train: instance.train, evaluationSets: instance.evaluationSets)
    }
}
