import TheorycheckCore
/// Sequences of token ids for one forward pass, right-padded to a common length.
///
/// Padding sits after every real token, and attention is causal, so a position's outputs never depend
/// on the padding or on the other sequences of the batch. Rows of the model's outputs are indexed
/// sequence-major: row = sequence * paddedLength + position.
///
/// `responseStarts[i]` is the position of the first response token of sequence i (for reward models:
/// the prompt is tokens[..<responseStart], the response tokens[responseStart...]). It must be at least 1,
/// so that every response token has a context (the <bos> at least) that predicts it, and at most
/// `count - 1`, so that the response is not empty. For language-model pretraining it is 1.
public struct TokenBatch: Sendable, Equatable {
    public let sequences: [[Int]]
    public let responseStarts: [Int]
    /// The longest sequence's length, which every row block is padded to.
    public let paddedLength: Int

    /// Throws a `ConfigurationError` for an empty batch, an empty or one-token sequence, or a
    /// response start outside 1..<(length).
    public init(_ sequences: [[Int]], responseStarts: [Int]? = nil) throws {
        if sequences.isEmpty { throw ConfigurationError("the batch has no sequences") }
        for (index, sequence) in sequences.enumerated() where sequence.count < 2 {
            throw ConfigurationError(
                "sequence \(index) has \(sequence.count) tokens; it needs at least 2 (a context and a token to predict)")
        }
        let starts = responseStarts ?? Array(repeating: 1, count: sequences.count)
        if starts.count != sequences.count {
            throw ConfigurationError("\(starts.count) response starts for \(sequences.count) sequences")
        }
        for (index, start) in starts.enumerated() where start < 1 || start >= sequences[index].count {
            throw ConfigurationError(
                "sequence \(index): response start \(start) must be in 1..<\(sequences[index].count) (after at least one prompt token, before the end)")
        }
        self.sequences = sequences
        self.responseStarts = starts
        paddedLength = sequences.map(\.count).max()!
    }

    /// B, the number of sequences.
    public var count: Int { sequences.count }

    /// The output row of (sequence, position).
    public func row(sequence: Int, position: Int) -> Int {
        sequence * paddedLength + position
    }

    /// All tokens, sequence-major, padded with token 0 (never read at a real position).
    var paddedTokens: [Int] {
        var tokens = [Int](repeating: 0, count: count * paddedLength)
        for (index, sequence) in sequences.enumerated() {
            for (position, token) in sequence.enumerated() { tokens[index * paddedLength + position] = token }
        }
        return tokens
    }
}
