/// The token vocabulary of the Hamiltonian-cycle task, and the encoding of a graph (the prompt) and a
/// permutation (the response) as token sequences for a language model.
///
/// Tokens, for N vertices (size N + 3):
///
/// | id          | text    | meaning                                          |
/// |-------------|---------|--------------------------------------------------|
/// | 0 ..< N     | "0" ... | vertex v                                         |
/// | N           | ";"     | separates two edges of the prompt                |
/// | N + 1       | "=>"    | ends the prompt; the answer follows              |
/// | N + 2       | "<eos>" | ends the response                                |
///
/// Prompt: the edges in increasing (u, v) order with u < v, each as the two vertex tokens "u v", joined by
/// ";", then "=>". Sorting hides the planted cycle: listing its edges in cycle order would leak the
/// answer. Response: the N vertex tokens of the permutation, then "<eos>".
///
/// Example (N = 4, the 4-cycle 0-1-2-3 plus the chord 0-2, response 0 1 2 3):
/// `0 1 ; 0 2 ; 0 3 ; 1 2 ; 2 3 =>` and `0 1 2 3 <eos>`.
///
/// With `PromptFormat.bothDirections` every edge is listed twice, as "a b" and "b a", all 2E ordered
/// pairs in increasing (a, b) order: the prompt becomes an adjacency list ("0 1 ; 0 3 ; 1 0 ; 1 2 ; ..."),
/// so every neighbour b of a vertex a sits right after an occurrence of a.
///
/// Properties (tested): decoding an encoding gives back the graph and the permutation; every token id
/// is below `size`; the prompt of a graph with E edges has 3E tokens (E >= 1; 6E listing both
/// directions), the response N + 1.
public struct HamiltonianCyclesVocabulary: Sendable, Hashable, Codable {
    /// How the prompt lists the edges.
    public enum PromptFormat: String, Sendable, Hashable, Codable, CaseIterable {
        /// Each edge once, as "u v" with u < v (the paper's listing).
        case sorted
        /// Each edge as "a b" and as "b a": an adjacency list, each vertex's neighbours after it.
        case bothDirections = "both-directions"
    }

    public let vertexCount: Int
    public let promptFormat: PromptFormat

    public init(vertexCount: Int, promptFormat: PromptFormat = .sorted) {
        precondition(vertexCount >= 1, "the vocabulary needs at least one vertex, got \(vertexCount)")
        self.vertexCount = vertexCount
        self.promptFormat = promptFormat
    }

    /// The ordered vertex pairs the prompt lists for `graph`, in prompt order.
    public func listedPairs(_ graph: UndirectedGraph) -> [(Int, Int)] {
        switch promptFormat {
        case .sorted:
            return graph.edges.map { ($0.u, $0.v) }
        case .bothDirections:
            let pairs = graph.edges.flatMap { [($0.u, $0.v), ($0.v, $0.u)] }
            return pairs.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        }
    }

    /// The most prompt tokens any graph on N vertices can take (the complete graph's prompt).
    public var longestPrompt: Int {
        let pairs = vertexCount * (vertexCount - 1) / 2 * (promptFormat == .sorted ? 1 : 2)
        return max(3 * pairs, 1)
    }

    public var size: Int { vertexCount + 3 }
    public var edgeSeparator: Int { vertexCount }
    public var answerMarker: Int { vertexCount + 1 }
    public var endOfSequence: Int { vertexCount + 2 }

    /// The token of vertex `v`.
    public func token(ofVertex v: Int) -> Int {
        precondition(v >= 0 && v < vertexCount, "vertex \(v) is outside 0..<\(vertexCount)")
        return v
    }

    /// The text of one token ("3", ";", "=>", "<eos>").
    public func text(of token: Int) -> String {
        switch token {
        case 0..<vertexCount: return String(token)
        case edgeSeparator: return ";"
        case answerMarker: return "=>"
        case endOfSequence: return "<eos>"
        default: preconditionFailure("token \(token) is outside the vocabulary of size \(size)")
        }
    }

    /// A token sequence as text, tokens separated by single spaces.
    public func text(of tokens: [Int]) -> String {
        tokens.map { text(of: $0) }.joined(separator: " ")
    }

    /// Every token's text, by id: the vocabulary description a report or a model config prints.
    public var tokenTexts: [String] { (0..<size).map { text(of: $0) } }

    /// The prompt tokens of `graph`: "u v ; u v ; ... =>" (the pairs of `listedPairs`).
    public func encodePrompt(_ graph: UndirectedGraph) -> [Int] {
        precondition(graph.vertexCount == vertexCount,
                     "graph has \(graph.vertexCount) vertices, the vocabulary \(vertexCount)")
        var tokens: [Int] = []
        for (index, pair) in listedPairs(graph).enumerated() {
            if index > 0 { tokens.append(edgeSeparator) }
            tokens.append(token(ofVertex: pair.0))
            tokens.append(token(ofVertex: pair.1))
        }
        tokens.append(answerMarker)
        return tokens
    }

    /// The response tokens of a vertex sequence: the vertices, then "<eos>". Any sequence of valid vertex
    /// ids can be encoded (a model's answer need not be a permutation).
    public func encodeResponse(_ sequence: [Int]) -> [Int] {
        sequence.map { token(ofVertex: $0) } + [endOfSequence]
    }

    /// The graph a prompt describes, nil when the tokens are not a well-formed prompt.
    public func decodePrompt(_ tokens: [Int]) -> UndirectedGraph? {
        guard tokens.last == answerMarker else { return nil }
        let body = Array(tokens.dropLast())
        if body.isEmpty { return UndirectedGraph(vertexCount: vertexCount, edges: []) }
        guard (body.count + 1) % 3 == 0 else { return nil }
        var edges: [GraphEdge] = []
        for start in stride(from: 0, to: body.count, by: 3) {
            let u = body[start]
            let v = body[start + 1]
            guard u < vertexCount, v < vertexCount, u >= 0, v >= 0, u != v else { return nil }
            if start + 2 < body.count && body[start + 2] != edgeSeparator { return nil }
            edges.append(GraphEdge(u, v))
        }
        return UndirectedGraph(vertexCount: vertexCount, edges: edges)
    }

    /// The vertex sequence of a response, nil unless it is vertex tokens followed by one "<eos>".
    public func decodeResponse(_ tokens: [Int]) -> [Int]? {
        guard tokens.last == endOfSequence else { return nil }
        let vertices = Array(tokens.dropLast())
        guard vertices.allSatisfy({ $0 >= 0 && $0 < vertexCount }) else { return nil }
        return vertices
    }
}
