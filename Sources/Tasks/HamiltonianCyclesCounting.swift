/// How many Hamiltonian cycles a graph has, in the three ways they can be counted.
///
/// Conventions (N = vertexCount >= 3):
/// - `sequencesFromVertexZero`: vertex sequences (0, v1, ..., v_{N-1}) that are Hamiltonian cycles,
///   i.e. directed cycles with vertex 0 as their start.
/// - `undirectedCycles` = sequencesFromVertexZero / 2: each cycle as a set of N edges (both directions of
///   travel give the same cycle, and they are different sequences because N >= 3).
/// - `validPermutations` = N * sequencesFromVertexZero = 2N * undirectedCycles: the permutations of all
///   N vertices that `isHamiltonianCycle` accepts (any start, either direction). These are the correct
///   responses of the task.
/// - `randomPermutationSuccessProbability` = validPermutations / N! = sequencesFromVertexZero / (N - 1)!:
///   the chance that a uniformly random permutation is a Hamiltonian cycle, the reference mass q of
///   Theorem 1 for a model that answers with random permutations.
public struct HamiltonianCycleCount: Sendable, Equatable, Codable {
    public let vertexCount: Int
    public let sequencesFromVertexZero: UInt64

    public var undirectedCycles: UInt64 { sequencesFromVertexZero / 2 }
    public var validPermutations: UInt64 { sequencesFromVertexZero * UInt64(vertexCount) }

    public var randomPermutationSuccessProbability: Double {
        var factorial = 1.0
        for k in stride(from: 2, to: vertexCount, by: 1) { factorial *= Double(k) }
        return Double(sequencesFromVertexZero) / factorial
    }
}

extension UndirectedGraph {
    /// The largest graph `countHamiltonianCycles` accepts: its table has 2^(N-1) * (N-1) 8-byte entries,
    /// 80 MB at N = 20.
    public static let maximumCountedVertices = 20

    /// Counts Hamiltonian cycles exactly by dynamic programming over subsets (Bellman 1962; Held and
    /// Karp 1962), in O(2^N N^2) time.
    ///
    /// paths[S][v] = number of simple paths that start at vertex 0, visit exactly {0} and S, and end at
    /// v in S (S a subset of 1 ..< N). A path over all vertices that ends next to 0 closes into a cycle;
    /// their number is `sequencesFromVertexZero`. Graphs with fewer than 3 vertices have no cycle.
    ///
    /// Properties (tested): equals brute-force enumeration of all N! permutations for N <= 7; K_N has
    /// (N - 1)! / 2 cycles, the N-cycle graph has 1, the Petersen graph 0.
    public func countHamiltonianCycles() -> HamiltonianCycleCount {
        let count = vertexCount
        precondition(count <= Self.maximumCountedVertices,
                     "exact counting is limited to \(Self.maximumCountedVertices) vertices, got \(count)")
        guard count >= 3 else { return HamiltonianCycleCount(vertexCount: count, sequencesFromVertexZero: 0) }
        // Vertex v >= 1 is bit v - 1 of a subset; `others` = N - 1 such vertices.
        let others = count - 1
        let subsetCount = 1 << others
        var paths = [UInt64](repeating: 0, count: subsetCount * others)
        for v in 1..<count where hasEdge(0, v) {
            paths[(1 << (v - 1)) * others + (v - 1)] = 1
        }
        // Subsets in increasing order: S | {w} > S, so every table entry is final before it is extended.
        for subset in 1..<subsetCount {
            for last in 0..<others where subset & (1 << last) != 0 {
                let ways = paths[subset * others + last]
                if ways == 0 { continue }
                for next in 0..<others where subset & (1 << next) == 0 && hasEdge(last + 1, next + 1) {
                    paths[(subset | (1 << next)) * others + next] += ways
                }
            }
        }
        let full = subsetCount - 1
        var closed: UInt64 = 0
        for last in 0..<others where hasEdge(last + 1, 0) {
            closed += paths[full * others + last]
        }
        return HamiltonianCycleCount(vertexCount: count, sequencesFromVertexZero: closed)
    }
}
