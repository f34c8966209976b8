extension UndirectedGraph {
    /// A rejected response of the Hamiltonian-cycle task (Razin et al., Sec. 3.2): a permutation of the
    /// N vertices, uniformly random among those that are **not** Hamiltonian cycles of this graph.
    ///
    /// Rejection sampling: draw uniform permutations until one fails `isHamiltonianCycle`; the accepted
    /// draw is uniform over the non-cycles. The expected number of draws is 1 / (1 - q), q the fraction
    /// of permutations that are cycles: just above 1 for the sparse graphs of the task, and at most
    /// (N - 1) / 2 for any non-complete graph (a missing edge {a, b} is used by a random cyclic order with
    /// probability 2 / (N - 1), so q <= 1 - 2 / (N - 1)). Returns nil only when no such permutation
    /// exists: the complete graph with N >= 3, where every permutation is a cycle.
    ///
    /// Properties (tested): the result is a permutation of 0 ..< N and never a Hamiltonian cycle; every
    /// non-cycle permutation of a small graph is drawn about equally often.
    public func randomNonHamiltonianPermutation(using generator: inout some RandomNumberGenerator) -> [Int]? {
        if vertexCount >= 3 && isComplete { return nil }
        while true {
            let candidate = Array(0..<vertexCount).shuffled(using: &generator)
            if !isHamiltonianCycle(candidate, in: self) { return candidate }
        }
    }
}
