import LinearAlgebra
import RewardDynamics
import TinyLM

/// The Assumption-1 first-order change of every reward over one gradient-descent step, computed from a
/// model's *current* representations by the closed forms of the dynamics core (docs/theory.md §2):
///
///     EX-RMs:  Delta r(s) = (eta / n) sum_j c_j <phi(s), phi(j)>                (ExplicitRewardDynamics)
///     IM-RMs:  Delta r(s) = (eta beta^2 / n) sum_{k in s} sum_l a_l rho_kl <h_k, h_l>  (ImplicitFirstOrderPrediction)
///
/// with phi the last-position (or mean-pooled) hidden state, c_j / a_l the Bradley-Terry coefficients at
/// the current rewards, rho the token-identity plus softmax-competition factor. This is the change the
/// step would make if only the read-out (u or W) moved; when everything trains, the backbone's share is
/// what it misses. The sequences are handed to RewardDynamics as an `Instance` whose hidden states are
/// the backbone's current ones.
///
/// Mathematical properties (tested): with the backbone frozen it equals the tape inner product
/// <grad_readout r(s), Delta readout> (exactly for EX-RMs, where the step is linear in u).
public enum AssumptionOnePrediction {
    /// `items` are the sequences to predict (training ones included); `trainPairs` index into them;
    /// `rewards` are the model's current rewards of `items`. Not for the EX-GRM (no closed form here).
    public static func predict(model: TinyLMRewardModel, items: [PromptResponse], trainPairs: [IndexedPair],
                               rewards: [Double], learningRate: Double) throws -> [Double]
    {
        precondition(model.type != .generativeVerifier, "the EX-GRM has no Assumption-1 closed form here")
        let layout = try layout(model: model, items: items, trainPairs: trainPairs)
        switch model.type {
        case .explicit, .explicitMeanPooled:
            let readout: ExplicitReadout = model.type == .explicit ? .lastPosition : .meanPooled
            let head = model.head[TinyLMRewardModel.headName].elements
            return try ExplicitRewardDynamics(layout: layout, readout: readout, initialHead: head)
                .predictedStep(learningRate: learningRate)
        default:
            let unembedding = model.backbone.parameters[TinyLMParameterName.unembedding]  // V x d
            let logits = BLAS.product(layout.contexts, unembedding, transposeB: true)  // contexts x V
            let trainContexts = layout.contexts.selectingRows(layout.trainContextRows)  // n_ctx x d
            let kernel = CrossGramMatrix(left: layout.contexts, right: trainContexts)  // contexts x n_ctx
            let coefficients = BradleyTerryGradient(rewards: rewards, pairs: layout.trainPairs).sequenceCoefficients
            return ImplicitFirstOrderPrediction(
                layout: layout, logits: logits, contextKernel: kernel, sequenceCoefficients: coefficients,
                learningRate: learningRate, beta: model.configuration.beta
            ).predicted
        }
    }

    /// The items with the backbone's current hidden states, as RewardDynamics' `SequenceLayout`; sequence
    /// s of the layout is items[s].
    public static func layout(model: TinyLMRewardModel, items: [PromptResponse], trainPairs: [IndexedPair]) throws
        -> SequenceLayout
    {
        let layout = SequenceLayout(try instance(model: model, items: items, trainPairs: trainPairs))
        precondition(layout.ids == items.indices.map { id(for: $0) }, "sequence ids must sort in item order")
        return layout
    }

    /// The items as a RewardDynamics `Instance`: the backbone's current hidden states (response contexts
    /// and the last position), its current unembedding as W and W_ref, the head (EX-RMs) as u; sequence
    /// ids sort in item order.
    public static func instance(model: TinyLMRewardModel, items: [PromptResponse], trainPairs: [IndexedPair]) throws
        -> Instance
    {
        let evaluations = try model.backbone.evaluate(items.map(\.tokens))
        var sequences: [String: TokenSequence] = [:]
        let ids = items.indices.map { id(for: $0) }
        for (index, item) in items.enumerated() {
            sequences[ids[index]] = TokenSequence(
                tokens: item.response, hidden: evaluations[index].responseRepresentations(responseStart: item.prompt.count))
        }
        return try Instance(
            beta: model.configuration.beta, unembedding: model.backbone.parameters[TinyLMParameterName.unembedding],
            head: model.type.hasHead ? model.head[TinyLMRewardModel.headName].elements : nil,
            sequences: sequences,
            train: trainPairs.map { PreferencePair(chosen: ids[$0.chosen], rejected: ids[$0.rejected]) },
            evaluationSets: [])
    }

    /// Zero-padded, so that the instance's sorted ids keep the items' order.
    static func id(for index: Int) -> String {
        let digits = String(index)
        return "s" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
