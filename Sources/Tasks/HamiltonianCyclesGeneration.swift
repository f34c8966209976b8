import Foundation

/// The generation side of the Hamiltonian-cycle experiment (Razin et al., Sec. 3.2): how often a
/// language model, sampled on graph prompts, answers with a valid Hamiltonian cycle, next to the chance
/// figures a policy that knows nothing about the graph would reach.
///
/// An answer is valid when its tokens decode (`HamiltonianCyclesVocabulary.decodeResponse`: vertex
/// tokens then one <eos>) to a sequence that `isHamiltonianCycle` accepts. Sampling stops after N + 1
/// tokens, the length of every valid answer, so longer answers (never valid) are not drawn out.
///
/// This file holds what needs no model (the sampling options, the counts, the exact chance figures, the
/// permutation constraint); sampling a `TinyLM` is `evaluate(model:graphs:options:using:)`, in the
/// LanguageModelExperiments target, so that this target does not depend on TinyLM.
///
/// Properties (tested): same generator state, same result; a model constrained to permutations only
/// ever answers permutations; the chance figures equal the exact counts' probabilities; an answer that
/// is the planted cycle counts as valid and a non-cycle permutation does not.
public enum HamiltonianCyclesGeneration {
    /// How to sample. `constrained` (off by default) restricts decoding to permutations: only vertices
    /// not yet used, then <eos> after N of them; the model's probabilities are renormalized over those.
    public struct Options: Sendable, Equatable, Codable {
        /// Answers drawn per graph prompt.
        public var samplesPerGraph: Int
        public var constrained: Bool
        /// 1 samples the policy's own law, which is what "the policy generates" means.
        public var temperature: Double

        public init(samplesPerGraph: Int = 4, constrained: Bool = false, temperature: Double = 1) {
            self.samplesPerGraph = samplesPerGraph
            self.constrained = constrained
            self.temperature = temperature
        }

        enum CodingKeys: String, CodingKey {
            case constrained, temperature
            case samplesPerGraph
        }
    }

    /// Counts over all sampled answers.
    public struct Result: Sendable, Equatable, Codable {
        public let samples: Int
        /// Answers that are Hamiltonian cycles of their graph.
        public let validCount: Int
        /// Answers that are a permutation of the N vertices followed by <eos> (cycle or not).
        public let permutationCount: Int
        /// Answers that ended with <eos> within N + 1 tokens.
        public let finishedCount: Int
        public let constrained: Bool
        /// The first few answers as text (graph-major order), for reports.
        public let examples: [String]

        public var validFraction: Double { samples == 0 ? .nan : Double(validCount) / Double(samples) }
        public var permutationFraction: Double { samples == 0 ? .nan : Double(permutationCount) / Double(samples) }

        enum CodingKeys: String, CodingKey {
            case samples, constrained, examples
            case validCount = "valid"
            case permutationCount = "permutations"
            case finishedCount = "finished"
            case validFraction
            case permutationFraction
        }

        public init(samples: Int, validCount: Int, permutationCount: Int, finishedCount: Int, constrained: Bool,
                    examples: [String])
        {
            self.samples = samples
            self.validCount = validCount
            self.permutationCount = permutationCount
            self.finishedCount = finishedCount
            self.constrained = constrained
            self.examples = examples
        }

        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(samples: try container.decode(Int.self, forKey: .samples),
                      validCount: try container.decode(Int.self, forKey: .validCount),
                      permutationCount: try container.decode(Int.self, forKey: .permutationCount),
                      finishedCount: try container.decode(Int.self, forKey: .finishedCount),
                      constrained: try container.decode(Bool.self, forKey: .constrained),
                      examples: try container.decode([String].self, forKey: .examples))
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(samples, forKey: .samples)
            try container.encode(validCount, forKey: .validCount)
            try container.encode(permutationCount, forKey: .permutationCount)
            try container.encode(finishedCount, forKey: .finishedCount)
            try container.encode(constrained, forKey: .constrained)
            try container.encode(examples, forKey: .examples)
            try container.encode(validFraction, forKey: .validFraction)
            try container.encode(permutationFraction, forKey: .permutationFraction)
        }
    }

    /// How many sampled answers `Result.examples` keeps.
    public static let exampleCount = 4

    /// The mean over `graphs` of the chance that a uniformly random permutation of the vertices is a
    /// Hamiltonian cycle (exact, by counting): the valid fraction of a policy that answers uniformly
    /// random permutations, which is what constrained decoding from a graph-blind model gives.
    public static func randomPermutationChance(_ graphs: [UndirectedGraph]) -> Double {
        guard !graphs.isEmpty else { return .nan }
        let total = graphs.reduce(0.0) { $0 + $1.countHamiltonianCycles().randomPermutationSuccessProbability }
        return total / Double(graphs.count)
    }

    /// The mean over `graphs` of the chance that N + 1 tokens drawn uniformly from the whole vocabulary
    /// (V = N + 3) are a valid answer: (number of valid permutations) / V^(N + 1). The valid fraction of
    /// an unconstrained policy that has learnt nothing, such as a freshly initialized model.
    public static func uniformTokenChance(_ graphs: [UndirectedGraph]) -> Double {
        guard let vertexCount = graphs.first?.vertexCount else { return .nan }
        let vocabularySize = Double(HamiltonianCyclesVocabulary(vertexCount: vertexCount).size)
        let answerProbability = pow(vocabularySize, -Double(vertexCount + 1))
        let total = graphs.reduce(0.0) { $0 + Double($1.countHamiltonianCycles().validPermutations) }
        return total * answerProbability / Double(graphs.count)
    }
}

extension HamiltonianCyclesVocabulary {
    /// Constrained decoding to permutations: while fewer than N vertices have been answered, only the
    /// vertices not yet used; after N, only <eos>. Usable as a `TokenConstraint`.
    public func permutationConstraint(promptIndex: Int, responseSoFar: [Int]) -> [Bool] {
        var allowed = [Bool](repeating: false, count: size)
        if responseSoFar.count >= vertexCount {
            allowed[endOfSequence] = true
            return allowed
        }
        for vertex in 0..<vertexCount { allowed[vertex] = true }
        for token in responseSoFar where token >= 0 && token < vertexCount { allowed[token] = false }
        return allowed
    }
}
