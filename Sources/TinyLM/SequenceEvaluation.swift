import Autodiff
import LinearAlgebra

/// A model's outputs along one sequence, read without gradients.
///
/// Row t of `hidden` (len x d) is h_c for the context c = tokens[...t]; row t of `logProbabilities`
/// (len x V) is ln p_c, the law of tokens[t + 1].
public struct SequenceEvaluation: Sendable, Equatable {
    public let tokens: [Int]
    public let hidden: Matrix
    public let logProbabilities: Matrix

    /// ln p(tokens[t] | tokens[..<t]) for t = 1..<len.
    public var nextTokenLogProbabilities: [Double] {
        (1..<tokens.count).map { logProbabilities[$0 - 1, tokens[$0]] }
    }

    /// The L + 1 representations of a response starting at `responseStart` (L = len - responseStart), in
    /// the layout of RewardDynamics' TokenSequence: row k < L is the context that predicts response token
    /// k (position responseStart - 1 + k), row L the whole sequence (the last position).
    public func responseRepresentations(responseStart: Int) -> Matrix {
        precondition(responseStart >= 1 && responseStart < tokens.count,
                     "response start \(responseStart) outside 1..<\(tokens.count)")
        return hidden.selectingRows(Array((responseStart - 1)..<tokens.count))
    }
}

extension TinyLM {
    /// Hidden states and next-token log-probabilities of each sequence, computed in batches of
    /// `batchSize` on constant-only tapes (no backward work is recorded).
    public func evaluate(_ sequences: [[Int]], batchSize: Int = 64) throws -> [SequenceEvaluation] {
        let model = self
        return try mapBatches(sequences, batchSize: batchSize) { chunk, tape in
            let batch = try TokenBatch(chunk)
            let pass = try model.forward(batch, on: tape, differentiable: false)
            let hidden = tape.value(pass.hidden)  // N x d
            let logProbabilities = tape.value(pass.logProbabilities)  // N x V
            return chunk.enumerated().map { index, sequence in
                let rows = Array(batch.row(sequence: index, position: 0)..<batch.row(sequence: index, position: sequence.count))
                return SequenceEvaluation(tokens: sequence, hidden: hidden.selectingRows(rows),
                                          logProbabilities: logProbabilities.selectingRows(rows))
            }
        }
    }

    /// The mean next-token loss -(1/M) sum ln p(s[t] | s[..<t]) over every predicted token of every
    /// sequence (M tokens in all): the held-out loss of pretraining.
    public func meanNextTokenLoss(_ sequences: [[Int]], batchSize: Int = 64) throws -> Double {
        var total = 0.0
        var count = 0
        for evaluation in try evaluate(sequences, batchSize: batchSize) {
            for value in evaluation.nextTokenLogProbabilities {
                total -= value
                count += 1
            }
        }
        precondition(count > 0, "meanNextTokenLoss needs at least one sequence")
        return total / Double(count)
    }
}
