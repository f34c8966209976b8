import Autodiff
import Foundation
import LinearAlgebra
import TheorycheckCore

/// The tape variables of one forward pass of a `TinyLM` over a `TokenBatch`.
///
/// With N = B T rows (B sequences padded to T), row `batch.row(sequence:position:)`:
/// - `hidden` (N x d) is h_c, the final layer-norm output at context c = tokens[...position];
/// - `logits` (N x V) is W h_c; `logProbabilities` (N x V) is ln p_c = log-softmax(W h_c), the row that
///   predicts tokens[position + 1].
///
/// The read-out is recorded on the tape the first time `logits` or `logProbabilities` is asked for, and
/// only then: an EX-RM reads `hidden` alone and never pays for the N x V product and its log-softmax.
public struct ForwardPass {
    public let batch: TokenBatch
    public let parameters: BoundParameters
    public let hidden: Variable
    private let readout: Readout

    init(batch: TokenBatch, parameters: BoundParameters, hidden: Variable, tape: Tape) {
        self.batch = batch
        self.parameters = parameters
        self.hidden = hidden
        readout = Readout(tape: tape, hidden: hidden, unembedding: parameters[TinyLMParameterName.unembedding])
    }

    /// W h_c for every row (N x V), recorded on first use.
    public var logits: Variable { readout.logits }

    /// ln p_c = log-softmax(W h_c) for every row (N x V), recorded on first use.
    public var logProbabilities: Variable { readout.logProbabilities }

    /// The read-out nodes of one pass, recorded once, when first needed.
    private final class Readout {
        private let tape: Tape
        private let hidden: Variable
        private let unembedding: Variable
        private var recordedLogits: Variable?
        private var recordedLogProbabilities: Variable?

        init(tape: Tape, hidden: Variable, unembedding: Variable) {
            self.tape = tape
            self.hidden = hidden
            self.unembedding = unembedding
        }

        var logits: Variable {
            if let recordedLogits { return recordedLogits }
            let logits = tape.matmul(hidden, unembedding, transposeB: true)  // N x V
            recordedLogits = logits
            return logits
        }

        var logProbabilities: Variable {
            if let recordedLogProbabilities { return recordedLogProbabilities }
            let logProbabilities = tape.logSoftmax(logits)  // N x V
            recordedLogProbabilities = logProbabilities
            return logProbabilities
        }
    }
}

extension TinyLM {
    /// Runs the model over `batch` on `tape`, binding `self.parameters` (frozen ones as constants; all as
    /// constants when `differentiable` is false). Throws for tokens outside the vocabulary or sequences
    /// longer than the context.
    public func forward(_ batch: TokenBatch, on tape: Tape, differentiable: Bool = true) throws -> ForwardPass {
        try forward(batch, on: tape, parameters: parameters.bind(to: tape, differentiable: differentiable))
    }

    /// Runs the model with parameters already bound to `tape` (they must carry this model's names).
    public func forward(_ batch: TokenBatch, on tape: Tape, parameters p: BoundParameters) throws -> ForwardPass {
        try check(batch)
        let c = configuration
        let sequenceCount = batch.count  // B
        let length = batch.paddedLength  // T
        let rows = sequenceCount * length  // N
        let positions = (0..<rows).map { $0 % length }

        var x = tape.add(tape.gatherRows(p[TinyLMParameterName.tokenEmbedding], batch.paddedTokens),  // N x d
                         tape.gatherRows(p[TinyLMParameterName.positionEmbedding], positions))  // N x d
        for layer in 0..<c.layers {
            let names = TinyLMParameterName.Block(layer)
            // Attention sublayer.
            let normed = tape.layerNorm(x, gain: p[names.attentionNormGain], bias: p[names.attentionNormBias],
                                        epsilon: c.layerNormEpsilon)  // N x d
            let queryKeyValue = tape.linear(normed, p[names.queryKeyValueWeight], p[names.queryKeyValueBias])  // N x 3d
            // Per (sequence, head): softmax(causalMask(Q K^T / sqrt(d_h))) V, heads merged back: N x d.
            let merged = tape.causalSelfAttention(queryKeyValue, heads: c.heads, sequenceLength: length)  // N x d
            let attended = tape.linear(merged, p[names.attentionOutputWeight], p[names.attentionOutputBias])  // N x d
            x = tape.add(x, attended)  // N x d
            // MLP sublayer.
            let normedAgain = tape.layerNorm(x, gain: p[names.mlpNormGain], bias: p[names.mlpNormBias],
                                             epsilon: c.layerNormEpsilon)  // N x d
            let expanded = tape.gelu(tape.linear(normedAgain, p[names.mlpInputWeight], p[names.mlpInputBias]))  // N x m
            let contracted = tape.linear(expanded, p[names.mlpOutputWeight], p[names.mlpOutputBias])  // N x d
            x = tape.add(x, contracted)  // N x d
        }
        let hidden = tape.layerNorm(x, gain: p[TinyLMParameterName.finalNormGain], bias: p[TinyLMParameterName.finalNormBias],
                                    epsilon: c.layerNormEpsilon)  // N x d
        return ForwardPass(batch: batch, parameters: p, hidden: hidden, tape: tape)  // the read-out follows on demand
    }

    /// Throws for a batch this model cannot read.
    public func check(_ batch: TokenBatch) throws {
        try configuration.checkFits(length: batch.paddedLength)
        for (index, sequence) in batch.sequences.enumerated() {
            if let bad = sequence.first(where: { $0 < 0 || $0 >= configuration.vocabularySize }) {
                throw ConfigurationError(
                    "sequence \(index) contains token id \(bad), outside the vocabulary 0..<\(configuration.vocabularySize)")
            }
        }
    }
}

extension ForwardPass {
    /// The mean next-token loss over every real position: -(1/M) sum_i sum_{t=1}^{len_i - 1}
    /// ln p(s_i[t] | s_i[..<t]), M the number of predicted tokens (1 x 1).
    public func nextTokenLoss(on tape: Tape) -> Variable {
        var rows: [Int] = []
        var targets: [Int] = []
        for (index, sequence) in batch.sequences.enumerated() {
            for position in 1..<sequence.count {
                rows.append(batch.row(sequence: index, position: position - 1))
                targets.append(sequence[position])
            }
        }
        let picked = tape.gatherElements(logProbabilities, rows: rows, columns: targets)  // M x 1
        return tape.scale(tape.mean(picked), by: -1)  // 1 x 1
    }

    /// Response log-likelihoods, B x 1: row i is ln pi(y_i | x_i) = sum_{k = start_i}^{len_i - 1}
    /// ln p(s_i[k] | s_i[..<k]). The IM-RM reward is beta (this - the same under pi_ref).
    public func responseLogProbabilities(on tape: Tape) -> Variable {
        var rows: [Int] = []
        var targets: [Int] = []
        var owners: [Int] = []
        for (index, sequence) in batch.sequences.enumerated() {
            for position in batch.responseStarts[index]..<sequence.count {
                rows.append(batch.row(sequence: index, position: position - 1))
                targets.append(sequence[position])
                owners.append(index)
            }
        }
        let picked = tape.gatherElements(logProbabilities, rows: rows, columns: targets)  // M x 1
        var summation = Matrix(rows: batch.count, columns: owners.count)  // B x M, 0/1
        for (column, owner) in owners.enumerated() { summation[owner, column] = 1 }
        return tape.matmul(tape.constant(summation), picked)  // B x 1
    }

    /// h_{x,y}, the hidden state at each sequence's last real position, B x d: what an EX-RM head reads.
    public func lastHidden(on tape: Tape) -> Variable {
        let rows = batch.sequences.indices.map { batch.row(sequence: $0, position: batch.sequences[$0].count - 1) }
        return tape.gatherRows(hidden, rows)  // B x d
    }

    /// (1/L_i) sum_{k = start_i}^{len_i - 1} h_{x, y<=k}, the hidden state averaged over the response
    /// positions, B x d: the mean-pooled EX-RM ablation.
    public func meanResponseHidden(on tape: Tape) -> Variable {
        var pooling = Matrix(rows: batch.count, columns: batch.count * batch.paddedLength)  // B x N
        for (index, sequence) in batch.sequences.enumerated() {
            let start = batch.responseStarts[index]
            let weight = 1 / Double(sequence.count - start)
            for position in start..<sequence.count { pooling[index, batch.row(sequence: index, position: position)] = weight }
        }
        return tape.matmul(tape.constant(pooling), hidden)  // B x d
    }
}

/// The Bradley-Terry loss shared by every reward model.
public enum RewardLoss {
    /// L = (1/n) sum_i -ln sigma(r_i+ - r_i-), with ln sigma computed stably; `chosen` and `rejected`
    /// are n x 1 (1 x 1 result).
    public static func bradleyTerry(on tape: Tape, chosen: Variable, rejected: Variable) -> Variable {
        let margins = tape.subtract(chosen, rejected)  // n x 1
        return tape.scale(tape.mean(tape.logSigmoid(margins)), by: -1)  // 1 x 1
    }
}
