import Tasks

/// Every permutation of 0 ..< n in lexicographic order (n! of them; keep n <= 8).
func allPermutations(of n: Int) -> [[Int]] {
    var result: [[Int]] = []
    var current: [Int] = []
    var used = [Bool](repeating: false, count: n)
    func extend() {
        if current.count == n {
            result.append(current)
            return
        }
        for v in 0..<n where !used[v] {
            used[v] = true
            current.append(v)
            extend()
            current.removeLast()
            used[v] = false
        }
    }
    extend()
    return result
}

/// The brute-force definition, independent of `isHamiltonianCycle`: a permutation of all vertices whose
/// N cyclically consecutive pairs are all in the graph's edge list.
func bruteForceIsHamiltonianCycle(_ sequence: [Int], edges: Set<GraphEdge>, vertexCount: Int) -> Bool {
    guard vertexCount >= 3, sequence.count == vertexCount, Set(sequence) == Set(0..<vertexCount) else { return false }
    let steps = (0..<vertexCount).map { (sequence[$0], sequence[($0 + 1) % vertexCount]) }
    return steps.allSatisfy { $0.0 != $0.1 && edges.contains(GraphEdge($0.0, $0.1)) }
}

/// A cycle as a canonical sequence: rotated to start at 0, then the direction with the smaller second
/// vertex; two sequences describe the same undirected cycle exactly when their canonical forms agree.
func canonicalCycle(_ sequence: [Int]) -> [Int] {
    let start = sequence.firstIndex(of: 0)!
    let rotated = Array(sequence[start...] + sequence[..<start])
    let reversed = [rotated[0]] + rotated.dropFirst().reversed()
    return rotated[1] < reversed[1] ? rotated : reversed
}

/// The Petersen graph: 10 vertices, 3-regular, famously without a Hamiltonian cycle.
let petersenGraph = UndirectedGraph(vertexCount: 10, edges: (0..<5).flatMap { i in
    [GraphEdge(i, (i + 1) % 5), GraphEdge(i, i + 5), GraphEdge(5 + i, 5 + (i + 2) % 5)]
})
