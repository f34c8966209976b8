import Autodiff

extension TinyLM {
    /// ln pi(y_i | x_i) = sum_k ln p(y_i[k] | x_i, y_i[..<k]) for each (prompt, response) pair, from
    /// forward passes without gradients, `batchSize` sequences at a time. Throws for an empty prompt or
    /// response, tokens outside the vocabulary, or sequences longer than the context.
    ///
    /// Properties (tested): equals the sum of `nextTokenLogProbabilities` along the response.
    public func responseLogProbabilities(prompts: [[Int]], responses: [[Int]], batchSize: Int = 64) throws -> [Double] {
        precondition(prompts.count == responses.count, "\(prompts.count) prompts for \(responses.count) responses")
        precondition(batchSize > 0, "batchSize must be positive")
        let model = self
        return try mapBatches(Array(zip(prompts, responses)), batchSize: batchSize) { chunk, tape in
            let batch = try TokenBatch(chunk.map { $0.0 + $0.1 }, responseStarts: chunk.map(\.0.count))
            let pass = try model.forward(batch, on: tape, differentiable: false)
            return tape.value(pass.responseLogProbabilities(on: tape)).elements  // B x 1
        }
    }

    /// One optimizer step on the mean response negative log-likelihood of `batch`,
    /// L = -(1/B) sum_i ln pi(y_i | x_i) with y_i = tokens[responseStarts[i]...] (supervised fine-tuning:
    /// the prompt tokens are context only, never targets). Returns the loss before the update.
    ///
    /// Properties (tested): the loss is minus the mean of `responseLogProbabilities`; repeated steps on
    /// one batch lower it.
    @discardableResult
    public mutating func trainResponseLikelihood(on batch: TokenBatch, optimizer: inout some Optimizer) throws -> Double {
        let tape = makeTape()
        let pass = try forward(batch, on: tape)
        let loss = tape.scale(tape.mean(pass.responseLogProbabilities(on: tape)), by: -1)  // 1 x 1
        let gradients = pass.parameters.gradients(from: tape.gradients(of: loss))
        optimizer.step(&parameters, gradients: gradients)
        return tape.scalar(loss)
    }
}
