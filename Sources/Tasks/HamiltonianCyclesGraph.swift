/// An edge {u, v} of an undirected graph, stored with u < v so that equal edges compare equal.
public struct GraphEdge: Sendable, Hashable, Comparable, Codable {
    public let u: Int
    public let v: Int

    /// The edge between `a` and `b` (in either order); they must differ (no self-loops).
    public init(_ a: Int, _ b: Int) {
        precondition(a != b, "an edge joins two different vertices, got \(a) twice")
        u = min(a, b)
        v = max(a, b)
    }

    public static func < (lhs: GraphEdge, rhs: GraphEdge) -> Bool {
        (lhs.u, lhs.v) < (rhs.u, rhs.v)
    }
}

/// A simple undirected graph on the vertices 0 ..< vertexCount, stored as a symmetric adjacency matrix.
///
/// Properties (tested): `hasEdge(a, b) == hasEdge(b, a)`, no vertex is its own neighbour, and `edges`
/// lists every edge once, sorted, with u < v.
public struct UndirectedGraph: Sendable, Hashable, Codable {
    public let vertexCount: Int
    /// adjacency[a * vertexCount + b], symmetric, false on the diagonal.
    private let adjacency: [Bool]

    /// The graph with exactly these edges (duplicates allowed, counted once).
    public init(vertexCount: Int, edges: [GraphEdge]) {
        precondition(vertexCount >= 0, "a graph cannot have \(vertexCount) vertices")
        var adjacency = [Bool](repeating: false, count: vertexCount * vertexCount)
        for edge in edges {
            precondition(edge.v < vertexCount, "edge \(edge.u)-\(edge.v) has a vertex outside 0..<\(vertexCount)")
            precondition(edge.u >= 0, "edge \(edge.u)-\(edge.v) has a negative vertex")
            adjacency[edge.u * vertexCount + edge.v] = true
            adjacency[edge.v * vertexCount + edge.u] = true
        }
        self.vertexCount = vertexCount
        self.adjacency = adjacency
    }

    /// The complete graph K_n.
    public static func complete(vertexCount: Int) -> UndirectedGraph {
        var edges: [GraphEdge] = []
        for a in 0..<vertexCount {
            for b in (a + 1)..<max(a + 1, vertexCount) { edges.append(GraphEdge(a, b)) }
        }
        return UndirectedGraph(vertexCount: vertexCount, edges: edges)
    }

    /// Whether {a, b} is an edge; false for a == b and for vertices outside the graph.
    public func hasEdge(_ a: Int, _ b: Int) -> Bool {
        guard a >= 0, b >= 0, a < vertexCount, b < vertexCount else { return false }
        return adjacency[a * vertexCount + b]
    }

    /// Every edge once, with u < v, sorted by (u, v).
    public var edges: [GraphEdge] {
        var result: [GraphEdge] = []
        for a in 0..<vertexCount {
            for b in (a + 1)..<max(a + 1, vertexCount) where adjacency[a * vertexCount + b] {
                result.append(GraphEdge(a, b))
            }
        }
        return result
    }

    public var edgeCount: Int { adjacency.filter { $0 }.count / 2 }

    /// Whether every pair of distinct vertices is joined.
    public var isComplete: Bool { edgeCount == vertexCount * (vertexCount - 1) / 2 }
}

/// A random graph with a planted Hamiltonian cycle (Razin et al., Sec. 3.2; docs/theory.md §6).
///
/// Construction: a uniformly random order of the vertices is the planted cycle (its N consecutive pairs,
/// last to first included, are edges); then every other pair {a, b}, visited in increasing (a, b) order,
/// becomes an edge independently with probability `edgeProbability`. The paper uses N = 10, p = 0.2.
///
/// Properties (tested): `plantedCycle` is a permutation of 0 ..< N and a Hamiltonian cycle of `graph`;
/// p = 0 gives exactly the N cycle edges and p = 1 the complete graph; the same generator state gives
/// the same graph.
public struct PlantedHamiltonianGraph: Sendable, Hashable, Codable {
    public let graph: UndirectedGraph
    /// The planted cycle as a vertex sequence (a permutation of 0 ..< N), starting anywhere.
    public let plantedCycle: [Int]

    public init(graph: UndirectedGraph, plantedCycle: [Int]) {
        self.graph = graph
        self.plantedCycle = plantedCycle
    }

    public var vertexCount: Int { graph.vertexCount }

    /// Draws the planted cycle, then the other edges. Needs N >= 3 (no shorter simple cycle exists)
    /// and p in [0, 1].
    public static func random(vertexCount: Int, edgeProbability: Double,
                              using generator: inout some RandomNumberGenerator) -> PlantedHamiltonianGraph
    {
        precondition(vertexCount >= 3, "a Hamiltonian cycle needs at least 3 vertices, got \(vertexCount)")
        precondition((0...1).contains(edgeProbability), "edge probability must be in [0, 1], got \(edgeProbability)")
        let cycle = Array(0..<vertexCount).shuffled(using: &generator)
        var cycleEdges = Set<GraphEdge>()
        for index in 0..<vertexCount {
            cycleEdges.insert(GraphEdge(cycle[index], cycle[(index + 1) % vertexCount]))
        }
        var edges = cycleEdges.sorted()
        for a in 0..<vertexCount {
            for b in (a + 1)..<vertexCount where !cycleEdges.contains(GraphEdge(a, b)) {
                // Draw for every candidate pair, even when p is 0 or 1, so the generator advances the
                // same way for every p.
                if Double.random(in: 0..<1, using: &generator) < edgeProbability {
                    edges.append(GraphEdge(a, b))
                }
            }
        }
        return PlantedHamiltonianGraph(graph: UndirectedGraph(vertexCount: vertexCount, edges: edges),
                                       plantedCycle: cycle)
    }
}
