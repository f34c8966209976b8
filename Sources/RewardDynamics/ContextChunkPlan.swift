/// Which contexts a streamed read-out pass handles together: chunks of whole sequences, each small
/// enough that its logits (rows x V) fit a fixed byte budget, so that no pass ever holds the logits of
/// every context.
///
/// A training chunk holds whole *components* of the training pairs (pairs linked by a shared sequence),
/// so that the Bradley-Terry weight of every sequence in it, c(seq) = sum_{i: seq chosen} s_i -
/// sum_{i: seq rejected} s_i, is known once the chunk's own logits are: one pass computes the rewards,
/// the weights and the gradient rows of the chunk together. Exported instances give every pair its own
/// two sequences, so a component is one pair. A component with more contexts than `rowBudget` is a chunk
/// of its own, processed in pieces of at most `rowBudget` rows (two passes over it, see
/// `StreamedImplicitRewardModel`).
///
/// Mathematical properties:
/// - the chunks of `training` cover every training pair exactly once and every training sequence
///   exactly once, in increasing order of their first pair;
/// - every piece has at most `rowBudget` rows, and the pieces of a chunk cover its rows in order;
/// - `sequences(_:)` covers the given sequences exactly once, in the given order.
public struct ContextChunkPlan: Sendable {
    public struct Chunk: Sendable, Equatable {
        /// Layout indices of the chunk's sequences.
        public let sequences: [Int]
        /// Their context rows, sequence after sequence (each sequence's rows are contiguous in the layout).
        public let rows: [Int]
        /// Indices into `SequenceLayout.trainPairs` of the pairs inside the chunk (training plans only).
        public let pairs: [Int]
    }

    public let chunks: [Chunk]
    /// The most rows any piece holds.
    public let rowBudget: Int

    /// The pieces of `chunk`, each at most `rowBudget` rows.
    public func pieces(of chunk: Chunk) -> [ArraySlice<Int>] {
        stride(from: 0, to: chunk.rows.count, by: rowBudget).map {
            chunk.rows[$0..<min(chunk.rows.count, $0 + rowBudget)]
        }
    }

    /// The largest piece of any chunk (the rows a buffer must hold).
    public var largestPiece: Int {
        chunks.map { min($0.rows.count, rowBudget) }.max() ?? 0
    }

    /// Training pairs grouped into components (union-find over their sequences) and packed, in order, into
    /// chunks of at most `rowBudget` context rows.
    public static func training(_ layout: SequenceLayout, rowBudget: Int) -> ContextChunkPlan {
        precondition(rowBudget >= 1, "a chunk needs room for at least one row, got a budget of \(rowBudget)")
        var parent = Array(0..<layout.sequenceCount)
        func root(_ s: Int) -> Int {
            var s = s
            while parent[s] != s {
                parent[s] = parent[parent[s]]
                s = parent[s]
            }
            return s
        }
        for pair in layout.trainPairs {
            let a = root(pair.chosen)
            let b = root(pair.rejected)
            if a != b { parent[max(a, b)] = min(a, b) }
        }
        // Components in order of their first pair; sequences in order of first appearance.
        var componentOf: [Int: Int] = [:]
        var componentPairs: [[Int]] = []
        var componentSequences: [[Int]] = []
        var placed = Set<Int>()
        for (index, pair) in layout.trainPairs.enumerated() {
            let r = root(pair.chosen)
            let component: Int
            if let existing = componentOf[r] {
                component = existing
            } else {
                component = componentPairs.count
                componentOf[r] = component
                componentPairs.append([])
                componentSequences.append([])
            }
            componentPairs[component].append(index)
            for s in [pair.chosen, pair.rejected] where placed.insert(s).inserted {
                componentSequences[component].append(s)
            }
        }
        var chunks: [Chunk] = []
        var sequences: [Int] = []
        var pairs: [Int] = []
        var rows = 0
        func flush() {
            if sequences.isEmpty { return }
            chunks.append(Chunk(sequences: sequences, rows: sequences.flatMap { Array(layout.contextRows(of: $0)) },
                                pairs: pairs))
            sequences = []
            pairs = []
            rows = 0
        }
        for component in componentPairs.indices {
            let size = componentSequences[component].reduce(0) { $0 + layout.contextRows(of: $1).count }
            if rows > 0 && rows + size > rowBudget { flush() }
            sequences += componentSequences[component]
            pairs += componentPairs[component]
            rows += size
        }
        flush()
        return ContextChunkPlan(chunks: chunks, rowBudget: rowBudget)
    }

    /// The given sequences packed, in order, into chunks of at most `rowBudget` rows (a longer sequence
    /// is a chunk of its own, handled in pieces).
    public static func sequences(_ list: [Int], in layout: SequenceLayout, rowBudget: Int) -> ContextChunkPlan {
        precondition(rowBudget >= 1, "a chunk needs room for at least one row, got a budget of \(rowBudget)")
        var chunks: [Chunk] = []
        var current: [Int] = []
        var rows = 0
        for s in list {
            let size = layout.contextRows(of: s).count
            if rows > 0 && rows + size > rowBudget {
                chunks.append(Chunk(sequences: current, rows: current.flatMap { Array(layout.contextRows(of: $0)) }, pairs: []))
                current = []
                rows = 0
            }
            current.append(s)
            rows += size
        }
        if !current.isEmpty {
            chunks.append(Chunk(sequences: current, rows: current.flatMap { Array(layout.contextRows(of: $0)) }, pairs: []))
        }
        return ContextChunkPlan(chunks: chunks, rowBudget: rowBudget)
    }
}
