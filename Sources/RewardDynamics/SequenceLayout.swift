import LinearAlgebra

/// A pair of sequence indices into a `SequenceLayout`.
public struct IndexedPair: Sendable, Equatable {
    public let chosen: Int
    public let rejected: Int

    public init(chosen: Int, rejected: Int) {
        self.chosen = chosen
        self.rejected = rejected
    }
}

/// The instance's representations stacked once into the matrices every simulator multiplies.
///
/// Sequences are indexed in `Instance.sequenceIDs` order. Contexts (rows `hidden[0..<L]` of every
/// sequence, the positions that predict a response token) are stacked sequence after sequence, so the
/// contexts of sequence s are rows `contextStart[s] ..< contextStart[s + 1]` of `contexts`.
public struct SequenceLayout: Sendable {
    public let ids: [String]
    public let indexOf: [String: Int]
    /// Row s: hidden[L] of sequence s, the whole-sequence representation an EX-RM head reads.
    public let lastPosition: Matrix
    /// Row s: (1/L) sum_{k=1..L} hidden[k] of sequence s, the mean-pooled EX-RM's feature.
    public let meanPooled: Matrix
    /// All contexts, (total contexts) x d.
    public let contexts: Matrix
    /// The token each context predicts.
    public let contextTokens: [Int]
    /// The sequence each context belongs to.
    public let contextSequence: [Int]
    /// contextStart[s] ..< contextStart[s + 1] are sequence s's contexts; count + 1 entries.
    public let contextStart: [Int]
    public let trainPairs: [IndexedPair]
    public let evaluationSets: [(name: String, pairs: [IndexedPair])]
    /// Sequences that appear in a training pair, ascending: the only ones whose gradients enter a step.
    public let trainSequences: [Int]
    /// Context rows of `trainSequences`, in order.
    public let trainContextRows: [Int]

    public var sequenceCount: Int { ids.count }
    public var contextCount: Int { contextTokens.count }

    public init(_ instance: Instance) {
        ids = instance.sequenceIDs
        var indexOf: [String: Int] = [:]
        for (index, id) in ids.enumerated() { indexOf[id] = index }
        self.indexOf = indexOf
        let width = instance.hiddenWidth

        var last = Matrix(rows: ids.count, columns: width)
        var pooled = Matrix(rows: ids.count, columns: width)
        var contextRows: [Double] = []
        var tokens: [Int] = []
        var owner: [Int] = []
        var start: [Int] = [0]
        for (s, id) in ids.enumerated() {
            let sequence = instance.sequences[id]!
            let length = sequence.length
            last.setRow(s, to: sequence.hidden.row(length))
            var mean = [Double](repeating: 0, count: width)
            for k in 1...length {
                let row = sequence.hidden.row(k)
                for j in 0..<width { mean[j] += row[j] }
            }
            pooled.setRow(s, to: mean.map { $0 / Double(length) })
            contextRows.append(contentsOf: sequence.hidden.elements[0..<(length * width)])
            tokens.append(contentsOf: sequence.tokens)
            owner.append(contentsOf: repeatElement(s, count: length))
            start.append(start.last! + length)
        }
        lastPosition = last
        meanPooled = pooled
        contexts = Matrix(rows: tokens.count, columns: width, elements: contextRows)
        contextTokens = tokens
        contextSequence = owner
        contextStart = start

        func indexed(_ pairs: [PreferencePair]) -> [IndexedPair] {
            pairs.map { IndexedPair(chosen: indexOf[$0.chosen]!, rejected: indexOf[$0.rejected]!) }
        }
        trainPairs = indexed(instance.train)
        evaluationSets = instance.evaluationSets.map { (name: $0.name, pairs: indexed($0.pairs)) }
        let trained = Set(trainPairs.flatMap { [$0.chosen, $0.rejected] }).sorted()
        trainSequences = trained
        trainContextRows = trained.flatMap { Array(start[$0]..<start[$0 + 1]) }
    }

    /// Context rows of sequence s.
    public func contextRows(of s: Int) -> Range<Int> {
        contextStart[s]..<contextStart[s + 1]
    }
}
