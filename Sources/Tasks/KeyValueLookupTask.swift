/// A generic in-context lookup task in the Hamiltonian-cycle vocabulary, for pretraining a small model
/// before it learns the answer format: the stand-in for the copying and lookup circuits a real
/// pretrained language model has (induction heads: find the earlier occurrence of the current token and
/// read the token after it). It has nothing to do with cycles or walks: the pairs are random keys with
/// random values, not edges of a graph with structure, and the answer is a lookup, not a path.
///
/// A sequence: M = max(1, N / 2) pairs "k v" with distinct random keys k and independent uniformly
/// random values v (vertex tokens), joined by ";", then "=>"; then the answer: the keys in a fresh
/// random order, each followed by its value, then "<eos>". Every value in the answer is determined by
/// the key just before it and the prompt; the keys themselves are random (only which keys remain is
/// predictable).
///
/// Properties (tested): the prompt parses as M pairs with distinct keys; the answer has 2M + 1 tokens and
/// fits where a Hamiltonian answer (N + 1 tokens) fits; each answer value is the prompt's value for the
/// key before it; every token is inside the vocabulary.
public struct KeyValueLookupTask: Sendable, Hashable {
    public let vocabulary: HamiltonianCyclesVocabulary

    public init(vocabulary: HamiltonianCyclesVocabulary) {
        precondition(vocabulary.vertexCount >= 2, "the lookup task needs at least 2 vertex tokens")
        self.vocabulary = vocabulary
    }

    /// M, the pairs of a sequence.
    public var pairCount: Int { max(1, vocabulary.vertexCount / 2) }

    /// One sequence: its prompt and its answer tokens.
    public func sample(using generator: inout some RandomNumberGenerator) -> (prompt: [Int], answer: [Int]) {
        let n = vocabulary.vertexCount
        let keys = Array(Array(0..<n).shuffled(using: &generator).prefix(pairCount))
        let values = keys.map { _ in Int.random(in: 0..<n, using: &generator) }
        var prompt: [Int] = []
        for index in keys.indices {
            if index > 0 { prompt.append(vocabulary.edgeSeparator) }
            prompt.append(vocabulary.token(ofVertex: keys[index]))
            prompt.append(vocabulary.token(ofVertex: values[index]))
        }
        prompt.append(vocabulary.answerMarker)
        var answer: [Int] = []
        for index in keys.indices.shuffled(using: &generator) {
            answer.append(vocabulary.token(ofVertex: keys[index]))
            answer.append(vocabulary.token(ofVertex: values[index]))
        }
        answer.append(vocabulary.endOfSequence)
        return (prompt, answer)
    }
}
