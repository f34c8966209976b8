/// Whether `permutation` is a Hamiltonian cycle of `graph`: it lists each of the N vertices exactly once,
/// N >= 3, and each consecutive pair, as well as the last vertex and the first, is an edge.
///
/// This is the task's verifier (Razin et al., Sec. 3.2): a response counts as correct exactly when this
/// returns true. Any input is allowed: a sequence of the wrong length, with repeats, or with vertices
/// outside the graph is simply not a Hamiltonian cycle (model outputs are checked with this, so it never
/// traps).
///
/// Properties (tested): agrees with a brute-force check against the edge list on every permutation of
/// small graphs; invariant under rotating and reversing the sequence.
public func isHamiltonianCycle(_ permutation: [Int], in graph: UndirectedGraph) -> Bool {
    let count = graph.vertexCount
    guard count >= 3, permutation.count == count else { return false }
    var seen = [Bool](repeating: false, count: count)
    for vertex in permutation {
        guard vertex >= 0, vertex < count, !seen[vertex] else { return false }
        seen[vertex] = true
    }
    for index in 0..<count where !graph.hasEdge(permutation[index], permutation[(index + 1) % count]) {
        return false
    }
    return true
}
