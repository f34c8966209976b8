/// The settings both built-in tasks share (`TokenShiftTask` and `SingleTokenShiftTask`): the size of the
/// instance and the weights of the meaning model their representations come from (see the tasks' doc
/// comments for the formulas). Each task reads these through `task.shared` or, for brevity, as its own
/// fields (`task.seed`, `task.alignment`), and writes them flat into its JSON.
public struct MeaningModelSettings: Codable, Sendable, Equatable {
    /// Seeds every random draw: prompts, meanings, identities, the unembedding, the pairs.
    public var seed: UInt64 = 0
    /// d: wider than the number of training pairs, as for a real model (d >> n), and wide enough that
    /// prompts, meanings and identities are nearly orthogonal.
    public var hiddenWidth = 64
    /// V: a softmax over many more tokens than the task uses, as in a real language model.
    public var vocabularySize = 256
    /// Training prompts; the paper's Persona split used 80, halved so that a run takes seconds.
    public var trainPrompts = 40
    /// Held-out prompts (the paper used 40).
    public var testPrompts = 20
    /// Answer tokens per stance in training, and unseen (paraphrase) ones per stance (the paper had two).
    public var answersPerStance = 4
    /// Cosine between an unseen (paraphrase) answer's meaning and its original's or its stance's.
    public var alignment = 0.9
    /// Weight of a token's lexical identity in the representation of the context that just read it.
    public var lexicalWeight = 0.5
    /// Weight of the prompt's representation.
    public var promptWeight = 1.0
    /// The implicit reward's beta.
    public var beta = 0.1
    /// Initial unembedding entries are N(0, unembeddingScale^2 / d).
    public var unembeddingScale = 1.0

    public init() {}
}
