import Autodiff
import Foundation
import LinearAlgebra
import TheorycheckCore

/// How `TinyLM.sample` draws responses. Codable so a run can print what it used.
public struct SamplingConfiguration: Codable, Equatable, Sendable {
    /// The token that ends a response; sampling it stops that response (it is kept as its last token).
    public var endOfSequence: Int
    /// The most tokens drawn per response (the end token included); a response that reaches it without
    /// the end token is returned unfinished.
    public var maxNewTokens: Int
    /// tau: tokens are drawn from softmax(ln p / tau). 1 (the default) samples the model's own law,
    /// which is what "the policy's generations" means in the paper.
    public var temperature: Double
    /// Sequences per forward pass; 64 keeps the tape small while amortizing the per-pass overhead.
    public var batchSize: Int

    public init(endOfSequence: Int, maxNewTokens: Int, temperature: Double = 1, batchSize: Int = 64) {
        self.endOfSequence = endOfSequence
        self.maxNewTokens = maxNewTokens
        self.temperature = temperature
        self.batchSize = batchSize
    }

    /// Throws the first problem found, as a sentence that says what to change.
    public func validate(vocabularySize: Int) throws {
        if !(0..<vocabularySize).contains(endOfSequence) {
            throw ConfigurationError("the end token \(endOfSequence) is outside the vocabulary 0..<\(vocabularySize)")
        }
        if maxNewTokens < 1 { throw ConfigurationError("maxNewTokens is \(maxNewTokens); draw at least 1 token") }
        if !(temperature > 0 && temperature.isFinite) {
            throw ConfigurationError("the sampling temperature is \(temperature); it must be a positive number such as 1")
        }
        if batchSize < 1 { throw ConfigurationError("batchSize is \(batchSize); it must be at least 1") }
    }
}

/// One sampled response.
public struct SampledResponse: Sendable, Equatable {
    public let prompt: [Int]
    /// The drawn tokens, ending with the end token when `isFinished`.
    public let tokens: [Int]
    /// Whether the end token was drawn (false: stopped at `maxNewTokens`).
    public let isFinished: Bool
    /// ln of the probability with which the sampler drew exactly `tokens`: the sum of each draw's log
    /// probability under the tempered, constrained law it was drawn from. At temperature 1 without a
    /// constraint this is ln pi(tokens | prompt).
    public let logProbability: Double
}

/// Restricts which tokens may come next: given a sequence's index in the prompt list and its response
/// so far, the allowed tokens as a mask over the vocabulary (at least one entry true). The model's
/// probabilities are renormalized over the allowed tokens (constrained decoding).
public typealias TokenConstraint = (_ promptIndex: Int, _ responseSoFar: [Int]) -> [Bool]

extension TinyLM {
    /// Draws one response per prompt, token by token: y_k ~ softmax(ln p(. | x, y_<k) / tau), restricted
    /// to `constraint`'s tokens when given, until the end token or `maxNewTokens`.
    ///
    /// Each step runs the model over every unfinished sequence (no key/value cache: responses here are
    /// a few tokens long, so recomputing the prefix costs little and keeps the model code single-path).
    /// Causal attention makes a sequence's next-token law independent of the others in its batch and of
    /// the padding, so batching does not change the result.
    ///
    /// Determinism: one uniform draw per (step, unfinished prompt), in increasing prompt order, from
    /// `generator`; the same generator state and model give the same responses bit for bit.
    ///
    /// Properties (tested): same seed, same responses; at temperature 1 a response's `logProbability`
    /// equals ln pi(y | x) from `responseLogProbabilities`; empirical frequencies match the model's
    /// probabilities on a tiny vocabulary; constrained tokens are never drawn.
    ///
    /// Throws for an empty prompt, tokens outside the vocabulary, a prompt that with `maxNewTokens` does
    /// not fit the context, or an invalid configuration; throws `DivergenceError` (never traps) when the
    /// model's next-token log-probabilities hold a NaN or +infinity (a model with non-finite parameters),
    /// or when ln p / tau leaves no token with a finite log-probability (a temperature so small that the
    /// division overflows, e.g. 1e-320).
    public func sample(prompts: [[Int]], configuration sampling: SamplingConfiguration,
                       constraint: TokenConstraint? = nil,
                       using generator: inout some RandomNumberGenerator) throws -> [SampledResponse]
    {
        let vocabularySize = configuration.vocabularySize
        try sampling.validate(vocabularySize: vocabularySize)
        for (index, prompt) in prompts.enumerated() {
            if prompt.isEmpty { throw ConfigurationError("prompt \(index) is empty; give at least one token") }
            if let bad = prompt.first(where: { !(0..<vocabularySize).contains($0) }) {
                throw ConfigurationError("prompt \(index) contains token id \(bad), outside the vocabulary 0..<\(vocabularySize)")
            }
            if prompt.count + sampling.maxNewTokens > configuration.contextLength {
                throw ConfigurationError(
                    "prompt \(index) has \(prompt.count) tokens; with maxNewTokens \(sampling.maxNewTokens) it needs contextLength \(prompt.count + sampling.maxNewTokens), the model has \(configuration.contextLength)")
            }
        }

        var responses = [[Int]](repeating: [], count: prompts.count)
        var logProbabilities = [Double](repeating: 0, count: prompts.count)
        var finished = [Bool](repeating: false, count: prompts.count)
        for position in 0..<sampling.maxNewTokens {
            let active = prompts.indices.filter { !finished[$0] }
            if active.isEmpty { break }
            let laws = try nextTokenLogProbabilities(of: active.map { prompts[$0] + responses[$0] },
                                                     batchSize: sampling.batchSize)  // one row of V per active prompt
            for (row, index) in active.enumerated() {
                // ln p is -infinity for a token of probability 0, never NaN or +infinity in a finite model.
                if let bad = laws[row].first(where: { $0.isNaN || $0 == .infinity }) {
                    throw DivergenceError(model: Self.samplingLabel, step: position, quantity: .logits, value: bad,
                                          cause: .modelNotFinite)
                }
                var scaled = laws[row].map { $0 / sampling.temperature }
                if let constraint {
                    let allowed = constraint(index, responses[index])
                    precondition(allowed.count == vocabularySize,
                                 "the constraint gave a mask of \(allowed.count) entries for a vocabulary of \(vocabularySize)")
                    precondition(allowed.contains(true), "the constraint allows no token after \(responses[index])")
                    for token in 0..<vocabularySize where !allowed[token] { scaled[token] = -.infinity }
                }
                let normalizer = StableMath.logSumExp(scaled)
                try DivergenceError.check(normalizer, .logits, model: Self.samplingLabel, step: position,
                                          cause: .temperatureTooSmall(sampling.temperature))
                let law = scaled.map { $0 - normalizer }  // ln q(token), -infinity where not allowed
                let token = Self.draw(from: law, uniform: Double.random(in: 0..<1, using: &generator))
                responses[index].append(token)
                logProbabilities[index] += law[token]
                if token == sampling.endOfSequence { finished[index] = true }
            }
        }
        return prompts.indices.map { index in
            SampledResponse(prompt: prompts[index], tokens: responses[index], isFinished: finished[index],
                            logProbability: logProbabilities[index])
        }
    }

    /// The name in a sampling `DivergenceError`; its step is the position of the token being drawn.
    public static let samplingLabel = "sampling"

    /// ln p(. | sequence) for each sequence (a V-vector each), from forward passes without gradients.
    public func nextTokenLogProbabilities(of sequences: [[Int]], batchSize: Int = 64) throws -> [[Double]] {
        let model = self
        return try mapBatches(sequences, batchSize: batchSize) { chunk, tape in
            // A TokenBatch needs two tokens per sequence; a filler token after a one-token sequence is
            // never seen by position 0 (causal attention), so it cannot change the row we read.
            let padded = chunk.map { $0.count == 1 ? $0 + [0] : $0 }
            let batch = try TokenBatch(padded)
            let pass = try model.forward(batch, on: tape, differentiable: false)
            let logProbabilities = tape.value(pass.logProbabilities)  // N x V
            return chunk.indices.map { logProbabilities.row(batch.row(sequence: $0, position: chunk[$0].count - 1)) }
        }
    }

    /// Inverse-CDF draw: the first token whose cumulative probability exceeds u in [0, 1). Tokens with
    /// ln q = -infinity are never chosen, even when rounding leaves the total just below u.
    static func draw(from logLaw: [Double], uniform u: Double) -> Int {
        var cumulative = 0.0
        var lastAllowed = -1
        for (token, logProbability) in logLaw.enumerated() where logProbability > -.infinity {
            cumulative += exp(logProbability)
            lastAllowed = token
            if u < cumulative { return token }
        }
        precondition(lastAllowed >= 0, "no token has positive probability")
        return lastAllowed
    }
}
