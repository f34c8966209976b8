import LinearAlgebra

/// One response sequence of an instance: its response tokens and the fixed hidden representations.
///
/// `hidden` has L + 1 rows of width d: row k < L is the representation of the context that predicts
/// `tokens[k]` (prompt plus the first k response tokens), row L is the whole sequence's representation,
/// the one an EX-RM head reads. Token ids are 0-based.
public struct TokenSequence: Sendable, Equatable {
    public let tokens: [Int]
    public let hidden: Matrix

    public init(tokens: [Int], hidden: Matrix) {
        self.tokens = tokens
        self.hidden = hidden
    }

    /// L, the number of response tokens.
    public var length: Int { tokens.count }
}

/// A preference pair, by sequence id.
public struct PreferencePair: Sendable, Equatable, Hashable, Codable {
    public let chosen: String
    public let rejected: String

    public init(chosen: String, rejected: String) {
        self.chosen = chosen
        self.rejected = rejected
    }
}

/// A named evaluation set of preference pairs.
public struct EvaluationSet: Sendable, Equatable {
    public let name: String
    public let pairs: [PreferencePair]

    public init(name: String, pairs: [PreferencePair]) {
        self.name = name
        self.pairs = pairs
    }
}

/// A problem with an instance, naming the field and what is wrong with it.
public struct InstanceValidationError: Error, Equatable, CustomStringConvertible {
    public let field: String
    public let problem: String

    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }

    /// "field: problem", each part shortened by `abbreviated` (an id of a million characters is not
    /// echoed whole into an error line).
    public var description: String { "\(Self.abbreviated(field)): \(Self.abbreviated(problem))" }

    /// `text` when it has at most `limit` characters; otherwise its first and last characters around a
    /// marker saying how many were left out, e.g. "sequences.aaaa…[999,880 characters omitted]…aaaa.hidden".
    public static func abbreviated(_ text: String, limit: Int = 200) -> String {
        let count = text.count
        guard count > limit else { return text }
        let head = max(1, limit * 2 / 3)
        let tail = max(1, limit - head)
        return "\(text.prefix(head))…[\(count - head - tail) characters omitted]…\(text.suffix(tail))"
    }
}

/// Everything the Assumption-1 reward models need: fixed representations, the read-outs at
/// initialization, and the preference data.
///
/// - `unembedding` W (V x d) is the IM-RM's trainable read-out; `referenceUnembedding` (V x d) is
///   pi_ref's, frozen; by default the two are equal so every IM-RM reward is exactly 0 at step 0.
/// - `head` u (d) is the EX-RM's trainable read-out at initialization (default zeros).
/// The initializer validates shapes, token ids, references between pairs and sequences, and finiteness,
/// and throws `InstanceValidationError` naming the first offending field.
public struct Instance: Sendable {
    public let beta: Double
    public let unembedding: Matrix
    public let referenceUnembedding: Matrix
    public let head: [Double]
    public let sequences: [String: TokenSequence]
    public let train: [PreferencePair]
    public let evaluationSets: [EvaluationSet]

    /// V, the vocabulary size.
    public var vocabularySize: Int { unembedding.rows }
    /// d, the hidden width.
    public var hiddenWidth: Int { unembedding.columns }
    /// Sequence ids in a fixed (sorted) order, the order every simulator indexes sequences by.
    public let sequenceIDs: [String]

    public init(
        beta: Double, unembedding: Matrix, referenceUnembedding: Matrix? = nil, head: [Double]? = nil,
        sequences: [String: TokenSequence], train: [PreferencePair], evaluationSets: [EvaluationSet]
    ) throws {
        guard beta.isFinite && beta > 0 else {
            throw InstanceValidationError(field: "beta", problem: "must be a finite number > 0, got \(beta)")
        }
        let vocabulary = unembedding.rows
        let width = unembedding.columns
        guard vocabulary > 0 && width > 0 else {
            throw InstanceValidationError(field: "unembedding", problem: "must have at least one row and one column")
        }
        guard unembedding.elements.allSatisfy(\.isFinite) else {
            throw InstanceValidationError(field: "unembedding", problem: "has a non-finite entry")
        }
        let reference = referenceUnembedding ?? unembedding
        guard reference.rows == vocabulary && reference.columns == width else {
            throw InstanceValidationError(
                field: "reference_unembedding",
                problem: "is \(reference.rows) x \(reference.columns), expected \(vocabulary) x \(width) like unembedding")
        }
        guard reference.elements.allSatisfy(\.isFinite) else {
            throw InstanceValidationError(field: "reference_unembedding", problem: "has a non-finite entry")
        }
        let initialHead = head ?? [Double](repeating: 0, count: width)
        guard initialHead.count == width else {
            throw InstanceValidationError(field: "head", problem: "has \(initialHead.count) entries, expected d = \(width)")
        }
        guard initialHead.allSatisfy(\.isFinite) else {
            throw InstanceValidationError(field: "head", problem: "has a non-finite entry")
        }
        guard !sequences.isEmpty else {
            throw InstanceValidationError(field: "sequences", problem: "is empty")
        }
        for (id, sequence) in sequences.sorted(by: { $0.key < $1.key }) {
            let field = "sequences.\(id)"
            guard !sequence.tokens.isEmpty else {
                throw InstanceValidationError(field: "\(field).tokens", problem: "is empty; a response has at least one token")
            }
            if let bad = sequence.tokens.first(where: { $0 < 0 || $0 >= vocabulary }) {
                throw InstanceValidationError(
                    field: "\(field).tokens", problem: "token id \(bad) is outside 0..<\(vocabulary) (V = unembedding rows)")
            }
            guard sequence.hidden.rows == sequence.tokens.count + 1 else {
                throw InstanceValidationError(
                    field: "\(field).hidden",
                    problem: "has \(sequence.hidden.rows) rows, expected L + 1 = \(sequence.tokens.count + 1)")
            }
            guard sequence.hidden.columns == width else {
                throw InstanceValidationError(
                    field: "\(field).hidden", problem: "rows have \(sequence.hidden.columns) entries, expected d = \(width)")
            }
            guard sequence.hidden.elements.allSatisfy(\.isFinite) else {
                throw InstanceValidationError(field: "\(field).hidden", problem: "has a non-finite entry")
            }
        }
        guard !train.isEmpty else {
            throw InstanceValidationError(field: "train", problem: "is empty; at least one pair is needed")
        }
        func check(_ pairs: [PreferencePair], field: String) throws {
            for (index, pair) in pairs.enumerated() {
                for id in [pair.chosen, pair.rejected] where sequences[id] == nil {
                    throw InstanceValidationError(field: "\(field)[\(index)]", problem: "names unknown sequence \"\(id)\"")
                }
            }
        }
        try check(train, field: "train")
        var seenNames = Set<String>()
        for set in evaluationSets {
            guard seenNames.insert(set.name).inserted else {
                throw InstanceValidationError(field: "eval.\(set.name)", problem: "appears twice")
            }
            try check(set.pairs, field: "eval.\(set.name)")
        }

        self.beta = beta
        self.unembedding = unembedding
        self.referenceUnembedding = reference
        self.head = initialHead
        self.sequences = sequences
        self.train = train
        self.evaluationSets = evaluationSets
        self.sequenceIDs = sequences.keys.sorted()
    }
}
