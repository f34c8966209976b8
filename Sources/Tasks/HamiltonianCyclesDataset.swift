import TheorycheckCore
/// The settings of the Hamiltonian-cycle task, with named presets.
public struct HamiltonianCyclesConfig: Sendable, Hashable, Codable {
    /// N, vertices per graph.
    public var vertexCount: Int
    /// p, the probability of each edge outside the planted cycle.
    public var edgeProbability: Double
    public var trainCount: Int
    public var testCount: Int

    public init(vertexCount: Int, edgeProbability: Double, trainCount: Int, testCount: Int) {
        self.vertexCount = vertexCount
        self.edgeProbability = edgeProbability
        self.trainCount = trainCount
        self.testCount = testCount
    }

    /// The paper's setting (Sec. 3.2): N = 10, p = 0.2, 1000 train and 200 test graphs.
    public static let paper = HamiltonianCyclesConfig(vertexCount: 10, edgeProbability: 0.2, trainCount: 1000,
                                                      testCount: 200)

    /// Scaled down for a tiny model on a laptop: N = 7 keeps the prompt near 30 tokens (about 10 edges)
    /// and exact counting instant, while a random permutation is still a cycle with probability only a
    /// few in a thousand (at least 2N / N! = 1 / 360, the bare cycle; extra edges add a little); p = 0.2
    /// as in the paper; 256 / 128 graphs keep a training run short.
    public static let laptop = HamiltonianCyclesConfig(vertexCount: 7, edgeProbability: 0.2, trainCount: 256,
                                                       testCount: 128)

    /// Checks the settings, throwing a sentence that says what to change.
    public func validate() throws {
        guard vertexCount >= 3 else {
            throw ConfigurationError("vertex count must be at least 3 (no shorter cycle exists), got \(vertexCount)")
        }
        guard vertexCount <= UndirectedGraph.maximumCountedVertices else {
            throw ConfigurationError(
                "vertex count must be at most \(UndirectedGraph.maximumCountedVertices) so cycles can be counted exactly, got \(vertexCount)")
        }
        guard edgeProbability.isFinite, (0...1).contains(edgeProbability) else {
            throw ConfigurationError("edge probability must be between 0 and 1, got \(edgeProbability)")
        }
        guard edgeProbability < 1 else {
            throw ConfigurationError(
                "edge probability 1 makes every graph complete, so no permutation can be a rejected response; use a value below 1")
        }
        guard trainCount >= 1, testCount >= 1 else {
            throw ConfigurationError("train and test counts must be at least 1, got \(trainCount) and \(testCount)")
        }
    }
}

/// One preference example: a graph, the planted cycle as the chosen response, and a random permutation
/// that is not a Hamiltonian cycle as the rejected one.
public struct HamiltonianCyclesExample: Sendable, Hashable, Codable {
    public let instance: PlantedHamiltonianGraph
    public let rejected: [Int]

    public init(instance: PlantedHamiltonianGraph, rejected: [Int]) {
        self.instance = instance
        self.rejected = rejected
    }

    public var graph: UndirectedGraph { instance.graph }
    public var chosen: [Int] { instance.plantedCycle }
}

/// Train and test examples of the Hamiltonian-cycle task (Razin et al., Sec. 3.2), each from its own
/// random graph.
///
/// Properties (tested): every chosen response verifies and no rejected one does; sizes follow the
/// config; the same generator state gives the same dataset.
public struct HamiltonianCyclesDataset: Sendable, Hashable, Codable {
    public let config: HamiltonianCyclesConfig
    public let train: [HamiltonianCyclesExample]
    public let test: [HamiltonianCyclesExample]

    public var vocabulary: HamiltonianCyclesVocabulary { HamiltonianCyclesVocabulary(vertexCount: config.vertexCount) }

    /// Generates the train examples, then the test examples, each graph then its rejected response, in
    /// that order from one generator.
    public static func generate(_ config: HamiltonianCyclesConfig,
                                using generator: inout some RandomNumberGenerator) throws -> HamiltonianCyclesDataset
    {
        try config.validate()
        func example() -> HamiltonianCyclesExample {
            let instance = PlantedHamiltonianGraph.random(
                vertexCount: config.vertexCount, edgeProbability: config.edgeProbability, using: &generator)
            // validate() excludes p = 1, but a graph can still come out complete by chance (tiny N, large
            // p); draw another graph then, so every example has a rejected response.
            guard let rejected = instance.graph.randomNonHamiltonianPermutation(using: &generator) else {
                return example()
            }
            return HamiltonianCyclesExample(instance: instance, rejected: rejected)
        }
        let train = (0..<config.trainCount).map { _ in example() }
        let test = (0..<config.testCount).map { _ in example() }
        return HamiltonianCyclesDataset(config: config, train: train, test: test)
    }
}
