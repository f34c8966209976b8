import RewardDynamics
import Tasks
import TheorycheckCore
import TinyLM

// Sampling a TinyLM on Hamiltonian-cycle prompts: the model-dependent half of
// `HamiltonianCyclesGeneration` (the options, counts and chance figures live in Tasks).

extension HamiltonianCyclesGeneration {
    /// Samples `options.samplesPerGraph` answers from `model` for each graph, prompted in `vocabulary`'s
    /// format (nil: the sorted listing), and verifies them.
    ///
    /// Throws when the model's vocabulary is not the task's (V = N + 3) or a prompt plus N + 1 answer
    /// tokens does not fit its context.
    public static func evaluate(model: TinyLM, graphs: [UndirectedGraph], vocabulary: HamiltonianCyclesVocabulary? = nil,
                                options: Options, using generator: inout some RandomNumberGenerator) throws -> Result
    {
        guard let vertexCount = graphs.first?.vertexCount else {
            return Result(samples: 0, validCount: 0, permutationCount: 0, finishedCount: 0,
                          constrained: options.constrained, examples: [])
        }
        precondition(graphs.allSatisfy { $0.vertexCount == vertexCount }, "every graph must have \(vertexCount) vertices")
        precondition(options.samplesPerGraph >= 1, "draw at least one answer per graph, got \(options.samplesPerGraph)")
        let vocabulary = vocabulary ?? HamiltonianCyclesVocabulary(vertexCount: vertexCount)
        precondition(vocabulary.vertexCount == vertexCount, "the vocabulary has \(vocabulary.vertexCount) vertices, the graphs \(vertexCount)")
        if model.configuration.vocabularySize != vocabulary.size {
            throw ConfigurationError(
                "the model has \(model.configuration.vocabularySize) tokens but the task with N = \(vertexCount) has \(vocabulary.size)")
        }
        let prompts = graphs.flatMap { graph in
            Array(repeating: vocabulary.encodePrompt(graph), count: options.samplesPerGraph)
        }
        let sampling = SamplingConfiguration(endOfSequence: vocabulary.endOfSequence, maxNewTokens: vertexCount + 1,
                                             temperature: options.temperature)
        var constraint: TokenConstraint?
        if options.constrained {
            constraint = { promptIndex, soFar in vocabulary.permutationConstraint(promptIndex: promptIndex, responseSoFar: soFar) }
        }
        let answers = try model.sample(prompts: prompts, configuration: sampling, constraint: constraint,
                                       using: &generator)
        var valid = 0
        var permutations = 0
        var finished = 0
        for (index, answer) in answers.enumerated() {
            let graph = graphs[index / options.samplesPerGraph]
            if answer.isFinished { finished += 1 }
            guard let sequence = vocabulary.decodeResponse(answer.tokens) else { continue }
            if sequence.count == vertexCount && Set(sequence).count == vertexCount { permutations += 1 }
            if isHamiltonianCycle(sequence, in: graph) { valid += 1 }
        }
        let examples = answers.prefix(exampleCount).map { vocabulary.text(of: $0.tokens) }
        return Result(samples: answers.count, validCount: valid, permutationCount: permutations, finishedCount: finished,
                      constrained: options.constrained, examples: Array(examples))
    }
}
