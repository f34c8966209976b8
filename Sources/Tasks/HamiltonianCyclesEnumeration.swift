extension UndirectedGraph {
    /// Every permutation of the vertices that is a Hamiltonian cycle (every start, both directions): the
    /// full set C of correct responses of the task for this graph, so that a policy's exact generation
    /// probability pi(C | x) can be summed over it.
    ///
    /// Depth-first search over simple paths from vertex 0 (pruned at the first missing edge), then the N
    /// rotations of each closed path. Returns nil when there are more than `limit` such permutations
    /// (dense graphs: K_N has N! of them), without listing them.
    ///
    /// Properties (tested): the count equals `countHamiltonianCycles().validPermutations`; every listed
    /// permutation passes `isHamiltonianCycle`; no permutation is listed twice.
    public func hamiltonianCyclePermutations(limit: Int = 100_000) -> [[Int]]? {
        let count = vertexCount
        guard count >= 3 else { return [] }
        let total = countHamiltonianCycles().validPermutations
        guard total <= UInt64(limit) else { return nil }
        var fromZero: [[Int]] = []
        var path = [0]
        var used = [Bool](repeating: false, count: count)
        used[0] = true
        func extend() {
            let last = path[path.count - 1]
            if path.count == count {
                if hasEdge(last, 0) { fromZero.append(path) }
                return
            }
            for next in 1..<count where !used[next] && hasEdge(last, next) {
                used[next] = true
                path.append(next)
                extend()
                path.removeLast()
                used[next] = false
            }
        }
        extend()
        var result: [[Int]] = []
        result.reserveCapacity(fromZero.count * count)
        for cycle in fromZero {
            for shift in 0..<count { result.append(Array(cycle[shift...] + cycle[..<shift])) }
        }
        return result
    }
}
