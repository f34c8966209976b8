import Autodiff
import LinearAlgebra
import TheorycheckCore

/// A reward model on a `TinyLM` backbone: any of the five `RewardModelKind`s (docs/theory.md §1).
///
///     ex_rm        r = <u, h_{x,y}>                                      h at the last position
///     ex_rm_mean   r = <u, (1/L) sum_{k=1..L} h_{x,y<=k}>
///     im_rm        r = beta sum_k [ln p_{c_k}(y_k) - ln p^ref_{c_k}(y_k)]    c_k = (x, y_<k)
///     im_rm_noref  r = beta sum_k ln p_{c_k}(y_k)
///     ex_grm       r = p(yes | x, y, suffix)                             the verifier's probability
///
/// Losses: the Bradley-Terry loss mean_i -ln sigma(r_i+ - r_i-) for the first four; for the EX-GRM the
/// cross-entropy (1/2n) sum_i [-ln p(yes | x_i, y_i+, suffix) - ln p(no | x_i, y_i-, suffix)]. The
/// EX-GRM's reward is the probability itself, as in the paper (not its log-odds), so its normalized
/// margin is in probability units.
///
/// The head u (d x 1, parameter "head") starts at 0, so every EX-RM reward is exactly 0 at step 0, as
/// every IM-RM reward is (pi = pi_ref). pi_ref is a frozen copy of the backbone given to `init`.
///
/// Mathematical properties (tested in `TinyLMRewardModelTests`):
/// - the tape gradient of each type's loss agrees with central finite differences;
/// - every EX-RM and IM-RM reward is exactly 0 at construction;
/// - with `readoutOnly`, only u (EX-RMs) or W (IM-RMs, EX-GRM) can move; every other parameter stays
///   bit-identical, and the rewards follow the Assumption-1 closed forms of RewardDynamics.
public struct TinyLMRewardModel: Sendable {
    /// The name of the head parameter in `head`.
    public static let headName = "head"

    public let configuration: RewardModelConfiguration
    public var backbone: TinyLM
    /// u (d x 1) for the EX-RMs; an empty set for the other types.
    public var head: ParameterSet
    /// pi_ref for `.implicit`: the backbone as it was given, never trained.
    public let reference: TinyLM?

    public var type: RewardModelKind { configuration.type }

    /// Builds the model and freezes what Assumption 1 keeps fixed when `readoutOnly` is set. Throws for a
    /// configuration the backbone cannot serve (bad beta, verifier tokens outside the vocabulary).
    public init(backbone: TinyLM, configuration: RewardModelConfiguration) throws {
        try configuration.validate(vocabularySize: backbone.configuration.vocabularySize)
        self.configuration = configuration
        var trained = backbone
        trained.parameters.unfreezeAll()
        var head = ParameterSet()
        if configuration.type.hasHead {
            head.append(Self.headName, Matrix(rows: backbone.configuration.width, columns: 1))  // d x 1, u = 0
        }
        if configuration.readoutOnly {
            let readout: Set<String> = configuration.type.hasHead ? [] : [TinyLMParameterName.unembedding]
            try trained.parameters.freezeAll(except: readout)
        }
        self.backbone = trained
        self.head = head
        reference = configuration.type == .implicit ? backbone : nil
    }

    /// The tokens the backbone reads for `item` and the position of its first response token: prompt +
    /// response, and for the EX-GRM prompt + response + the verifier's suffix.
    public func encoded(_ item: PromptResponse) -> [Int] {
        if type == .generativeVerifier, let verifier = configuration.verifier {
            return item.prompt + item.response + verifier.suffix
        }
        return item.tokens
    }

    /// The batch of `items`. Throws (with what to change) for an empty prompt or response, or a sequence
    /// longer than the backbone's context.
    public func batch(_ items: [PromptResponse]) throws -> TokenBatch {
        for item in items {
            if item.prompt.isEmpty { throw ConfigurationError("a prompt is empty; it needs at least a <bos> token") }
            if item.response.isEmpty { throw ConfigurationError("a response is empty; it needs at least one token") }
        }
        let batch = try TokenBatch(items.map(encoded), responseStarts: items.map(\.prompt.count))
        try backbone.check(batch)
        return batch
    }

    /// The backbone's and the head's matrices bound to one tape.
    public struct Bound {
        public let backbone: BoundParameters
        public let head: BoundParameters

        public init(backbone: BoundParameters, head: BoundParameters) {
            self.backbone = backbone
            self.head = head
        }
    }

    /// Binds the backbone and the head (trainable ones as parameters unless `differentiable` is false).
    public func bind(to tape: Tape, differentiable: Bool = true) -> Bound {
        Bound(backbone: backbone.parameters.bind(to: tape, differentiable: differentiable),
              head: head.bind(to: tape, differentiable: differentiable))
    }

    /// ln pi_ref(y|x) of each item for `.implicit`; nil for every other type.
    public func referenceLogProbabilities(_ items: [PromptResponse], batchSize: Int = 64) throws -> [Double]? {
        guard let reference else { return nil }
        let model = self
        return try backbone.mapBatches(items, batchSize: batchSize) { chunk, tape in
            let pass = try reference.forward(model.batch(chunk), on: tape, differentiable: false)
            return tape.value(pass.responseLogProbabilities(on: tape)).elements
        }
    }

    /// The rewards of `items` on `tape` (B x 1). For `.implicit`, `referenceLogProbabilities` are the
    /// items' ln pi_ref(y|x) (computed here when nil; they are constants, so they never change a gradient).
    public func rewards(_ items: [PromptResponse], on tape: Tape, parameters: Bound,
                        referenceLogProbabilities: [Double]? = nil) throws -> Variable
    {
        let batch = try batch(items)
        let pass = try backbone.forward(batch, on: tape, parameters: parameters.backbone)
        return try rewards(of: pass, on: tape, head: parameters.head, items: items,
                           referenceLogProbabilities: referenceLogProbabilities)
    }

    private func rewards(of pass: ForwardPass, on tape: Tape, head: BoundParameters, items: [PromptResponse],
                         referenceLogProbabilities: [Double]?) throws -> Variable
    {
        let count = pass.batch.count
        switch type {
        case .explicit:
            return tape.matmul(pass.lastHidden(on: tape), head[Self.headName])  // B x 1
        case .explicitMeanPooled:
            return tape.matmul(pass.meanResponseHidden(on: tape), head[Self.headName])  // B x 1
        case .implicitWithoutReference:
            return tape.scale(pass.responseLogProbabilities(on: tape), by: configuration.beta)  // B x 1
        case .implicit:
            let reference = try referenceLogProbabilities ?? self.referenceLogProbabilities(items)!
            precondition(reference.count == count, "\(reference.count) reference log-probabilities for \(count) items")
            let ratio = tape.subtract(pass.responseLogProbabilities(on: tape),
                                      tape.constant(Matrix(rows: count, columns: 1, elements: reference)))  // B x 1
            return tape.scale(ratio, by: configuration.beta)  // B x 1
        case .generativeVerifier:
            let verifier = configuration.verifier!
            let laws = tape.softmax(tape.gatherRows(pass.logits, lastRows(of: pass.batch)))  // B x V
            return tape.gatherElements(laws, rows: Array(0..<count),
                                       columns: Array(repeating: verifier.yesToken, count: count))  // B x 1
        }
    }

    private func lastRows(of batch: TokenBatch) -> [Int] {
        batch.sequences.indices.map { batch.row(sequence: $0, position: batch.sequences[$0].count - 1) }
    }

    /// The training loss over `pairs` (1 x 1): Bradley-Terry for the EX-RMs and IM-RMs, cross-entropy on
    /// yes / no for the EX-GRM. `reference` holds ln pi_ref of the chosen and rejected responses for
    /// `.implicit` (computed when nil).
    public func loss(_ pairs: [TokenPreferencePair], on tape: Tape, parameters: Bound,
                     reference: (chosen: [Double], rejected: [Double])? = nil) throws -> Variable
    {
        precondition(!pairs.isEmpty, "the loss needs at least one pair")
        let n = pairs.count
        let items = pairs.map(\.chosenSequence) + pairs.map(\.rejectedSequence)
        let batch = try batch(items)
        let pass = try backbone.forward(batch, on: tape, parameters: parameters.backbone)
        if type == .generativeVerifier {
            let verifier = configuration.verifier!
            let targets = Array(repeating: verifier.yesToken, count: n) + Array(repeating: verifier.noToken, count: n)
            let picked = tape.gatherElements(pass.logProbabilities, rows: lastRows(of: batch), columns: targets)  // 2n x 1
            return tape.scale(tape.mean(picked), by: -1)  // 1 x 1
        }
        let referenceValues = reference.map { $0.chosen + $0.rejected }
        let all = try rewards(of: pass, on: tape, head: parameters.head, items: items,
                              referenceLogProbabilities: referenceValues)  // 2n x 1
        return RewardLoss.bradleyTerry(on: tape, chosen: tape.sliceRows(all, 0..<n),
                                       rejected: tape.sliceRows(all, n..<(2 * n)))  // 1 x 1
    }

    /// Reward values of `items`, without gradients, in chunks of `batchSize`.
    public func rewards(_ items: [PromptResponse], batchSize: Int = 64) throws -> [Double] {
        precondition(batchSize > 0, "batchSize must be positive")
        let model = self
        return try backbone.mapBatches(items, batchSize: batchSize) { chunk, tape in
            let values = try model.rewards(chunk, on: tape, parameters: model.bind(to: tape, differentiable: false))
            return tape.value(values).elements
        }
    }
}
