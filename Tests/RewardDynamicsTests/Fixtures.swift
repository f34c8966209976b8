import LinearAlgebra
import RewardDynamics
import Tasks

/// Small random instances for the property sweeps: sizes stay tiny so the suite runs fast in debug.
enum Fixtures {
    /// Multi-token instances: (V, d, n, L).
    static let shapes: [(V: Int, d: Int, n: Int, L: Int)] = [(12, 4, 3, 1), (30, 8, 6, 3), (50, 6, 10, 2)]

    static func instance(_ shape: (V: Int, d: Int, n: Int, L: Int), beta: Double = 0.5,
                         using generator: inout SeededGenerator) throws -> Instance
    {
        try RandomInstance(vocabularySize: shape.V, hiddenWidth: shape.d, trainPairs: shape.n,
                           responseLength: shape.L, evaluationPairs: 5, beta: beta, unembeddingScale: 2)
            .make(using: &generator)
    }
}
