import RewardDynamics
import TheorycheckCore
import TinyLM

/// An implicit reward on Persona responses split into the part its template tokens contribute and the
/// part its answer tokens contribute, and the pairs ranked by each part alone: which tokens an IM-RM's
/// paraphrase ranking comes from.
///
///     r(x, y) = beta sum_k [ln p(y_k | x, y_<k) - ln p_ref(y_k | x, y_<k)]        (no p_ref for im_rm_noref)
///             = r_template(x, y) + r_answer(x, y)
///
/// with r_template the sum over the template's tokens (k < answerStart) and r_answer the sum over the
/// answer's; r_first, the term of the response's first token (k = 0), is part of r_template. The
/// paraphrases' answers (certainly, absolutely, not really, nope) never occur in a training response;
/// their templates share one word with the training templates, "my", which starts the chosen paraphrase
/// ("my response would be") and the rejected training template "my judgement:". The paper's competition
/// argument (docs/theory.md §2) is about tokens absent from training (the answers); a token seen only in
/// rejected responses is token identity at its plainest.
///
/// Mathematical properties (tested in `PersonaSensitivityExperimentTests`): r_template + r_answer equals
/// the model's reward up to rounding; every part is 0 for an IM-RM at step 0 (p = p_ref).
public struct ImplicitRewardSplit: Codable, Equatable, Sendable {
    /// Accuracy (ties 1/2) and mean margin when the pairs are ranked by r_first alone.
    public let firstToken: PairMetrics
    /// The same for r_template alone.
    public let template: PairMetrics
    /// The same for r_answer alone.
    public let answer: PairMetrics

    /// The split of `model`'s rewards on `pairs`, whose responses must be variants of `responses`.
    /// Nil for a model that is not an IM-RM.
    public static func measure(_ model: TinyLMRewardModel, pairs: [TokenPreferencePair],
                               responses: PersonaDataset.Responses) throws -> ImplicitRewardSplit?
    {
        guard model.type.isImplicit else { return nil }
        var answerStarts: [[Int]: Int] = [:]
        for variant in responses.originalChosen + responses.originalRejected + responses.paraphraseChosen
            + responses.paraphraseRejected
        {
            answerStarts[variant.tokens] = variant.answerStart
        }
        var interner = SequenceInterner()
        let indexed = interner.indexed(pairs)
        let items = interner.items
        let policy = try model.backbone.evaluate(items.map(\.tokens))
        let reference = try model.reference?.evaluate(items.map(\.tokens))
        var firstParts: [Double] = []
        var templateParts: [Double] = []
        var answerParts: [Double] = []
        for (index, item) in items.enumerated() {
            guard let answerStart = answerStarts[item.response] else {
                preconditionFailure("response \(item.response) is not a Persona response variant")
            }
            // nextTokenLogProbabilities[t - 1] = ln p(tokens[t] | tokens[..<t]); response token k is tokens[prompt + k].
            let logProbabilities = policy[index].nextTokenLogProbabilities
            let referenceLogProbabilities = reference?[index].nextTokenLogProbabilities
            var first = 0.0
            var template = 0.0
            var answer = 0.0
            for k in item.response.indices {
                let t = item.prompt.count + k - 1
                let term = logProbabilities[t] - (referenceLogProbabilities?[t] ?? 0)
                if k == 0 { first = term }
                if k < answerStart { template += term } else { answer += term }
            }
            firstParts.append(model.configuration.beta * first)
            templateParts.append(model.configuration.beta * template)
            answerParts.append(model.configuration.beta * answer)
        }
        return ImplicitRewardSplit(firstToken: PairMetrics(rewards: firstParts, pairs: indexed),
                                   template: PairMetrics(rewards: templateParts, pairs: indexed),
                                   answer: PairMetrics(rewards: answerParts, pairs: indexed))
    }
}
