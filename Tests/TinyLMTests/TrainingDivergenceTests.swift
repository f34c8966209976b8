import Autodiff
import LinearAlgebra
import TheorycheckCore
import TinyLM
import TestSupport
import XCTest

/// Training loops and the sampler report divergence as `DivergenceError`, never as NaN losses or a trap.
final class TrainingDivergenceTests: XCTestCase {
    private let pairs = [
        TokenPreferencePair(prompt: [0, 3], chosen: [2, 5], rejected: [1, 6]),
        TokenPreferencePair(prompt: [0, 2, 3], chosen: [5], rejected: [6]),
    ]

    private func backbone(vocabularySize: Int = 8, seed: UInt64 = 4) throws -> TinyLM {
        try TinyLM(configuration: TinyLMConfiguration(vocabularySize: vocabularySize, width: 8, layers: 1, heads: 2,
                                                      contextLength: 8, initialScale: 0.3), seed: seed)
    }

    func testTheRewardModelTrainerStopsAtTheFirstNonFiniteLossOrParameter() throws {
        // IM-RMs: every parameter moves by lr at Adam's first step, and the products of 1e300-sized
        // weights overflow in the next forward pass. (An EX-RM's zero head blocks the backbone's gradient,
        // so only u moves and its logistic loss saturates instead of overflowing.)
        for type in [RewardModelKind.implicit, .implicitWithoutReference] {
            let model = try TinyLMRewardModel(backbone: backbone(), configuration: RewardModelConfiguration(type: type))
            var trainer = try RewardModelTrainer(model: model, pairs: pairs,
                                                 configuration: RewardTrainingConfiguration(optimizer: .adam(AdamConfiguration(learningRate: 1e300))))
            let error = expectDivergence { for _ in 0..<20 { try trainer.step() } }
            XCTAssertEqual(error?.model, type.rawValue)
            XCTAssertEqual(error?.cause, .learningRateTooLarge(1e300))
            XCTAssertEqual(error?.quantity, .loss)
            XCTAssertEqual(error?.step, 1, "the first step is finite (loss ln 2); the second forward pass overflows")
            XCTAssertEqual(trainer.stepCount, 1)
        }
        // A sane rate trains 20 steps without a word.
        let model = try TinyLMRewardModel(backbone: backbone(), configuration: RewardModelConfiguration(type: .implicit))
        var trainer = try RewardModelTrainer(model: model, pairs: pairs,
                                             configuration: RewardTrainingConfiguration(optimizer: .adam(AdamConfiguration())))
        for _ in 0..<20 { XCTAssertTrue(try trainer.step().isFinite) }
    }

    func testPretrainingStopsAtTheFirstNonFiniteStep() throws {
        let grammar = try Grammar.agreeableness()
        var configuration = PretrainingConfiguration.quick
        configuration.adam.learningRate = 1e300
        let corpus = try PretrainingCorpus(grammar: grammar, configuration: configuration)
        let model = try TinyLM(configuration: .tiny(vocabularySize: corpus.tokenizer.count), seed: 1)
        let error = expectDivergence { _ = try Pretraining.run(model: model, corpus: corpus, configuration: configuration) }
        XCTAssertEqual(error?.model, Pretraining.label)
        XCTAssertEqual(error?.cause, .learningRateTooLarge(1e300))
    }

    func testSamplingWithATemperatureThatOverflowsIsAnErrorNotATrap() throws {
        let lm = try backbone(vocabularySize: 3, seed: 3)
        var generator = SeededGenerator(seed: 1)
        let sampling = SamplingConfiguration(endOfSequence: 2, maxNewTokens: 3, temperature: 1e-320)
        let error = expectDivergence { _ = try lm.sample(prompts: [[0, 1]], configuration: sampling, using: &generator) }
        XCTAssertEqual(error?.cause, .temperatureTooSmall(1e-320))
        XCTAssertEqual(error?.model, TinyLM.samplingLabel)
        XCTAssertEqual(error?.step, 0, "the first token already overflows")
        // 1e-300 still divides finitely: sampling becomes greedy and works.
        var greedy = SeededGenerator(seed: 1)
        let drawn = try lm.sample(prompts: [[0, 1]], configuration: SamplingConfiguration(endOfSequence: 2, maxNewTokens: 3,
                                                                                            temperature: 1e-300),
                                  using: &greedy)
        XCTAssertEqual(drawn.count, 1)
    }

    func testSamplingAModelWithNonFiniteParametersIsAnError() throws {
        var lm = try backbone(vocabularySize: 3, seed: 3)
        var unembedding = lm.parameters[TinyLMParameterName.unembedding]
        unembedding[1, 0] = .nan
        lm.parameters[TinyLMParameterName.unembedding] = unembedding
        var generator = SeededGenerator(seed: 1)
        let error = expectDivergence {
            _ = try lm.sample(prompts: [[0, 1]], configuration: SamplingConfiguration(endOfSequence: 2, maxNewTokens: 3),
                              using: &generator)
        }
        XCTAssertEqual(error?.cause, .modelNotFinite)
        XCTAssertEqual(error?.quantity, .logits)
    }
}
