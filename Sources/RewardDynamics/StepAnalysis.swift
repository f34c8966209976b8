import LinearAlgebra
import TheorycheckCore
/// One full-batch gradient step on the mean Bradley-Terry loss, taken for real and predicted in closed
/// form, for every sequence of an instance (docs/theory.md §2).
///
/// EX-RM (head on the last position): the predicted change (eta / n) sum_i s_i <h, z_i> is exact.
/// IM-RM (with reference): the predicted change is the first-order Eq. 5 form, split into its
/// token-identity and softmax-competition parts; it differs from the exact change by O(eta^2).
/// Since pi_ref is frozen, the IM-RM's change of ln pi(y|x) is its reward change divided by beta, which
/// shows why a chosen response's log-probability can fall while every margin grows.
///
/// Throws `DivergenceError` when a reward, loss, logit or prediction before or after the step is not
/// finite, so that no entry of the analysis is NaN or infinite.
public struct StepAnalysis: Sendable, Encodable {
    public struct ExplicitEntry: Sendable, Encodable {
        public let reward: Double
        public let exactDelta: Double
        public let predictedDelta: Double

    }

    public struct ImplicitEntry: Sendable, Encodable {
        public let reward: Double
        public let exactDelta: Double
        public let predictedDelta: Double
        public let tokenIdentityPart: Double
        public let competitionPart: Double
        public let logProbability: Double
        public let deltaLogProbability: Double
        public let predictedDeltaLogProbability: Double

        enum CodingKeys: String, CodingKey {
            case reward
            case exactDelta
            case predictedDelta
            case tokenIdentityPart
            case competitionPart
            case logProbability = "log_prob"
            case deltaLogProbability = "delta_log_prob"
            case predictedDeltaLogProbability = "predicted_delta_log_prob"
        }
    }

    public struct SequenceEntry: Sendable, Encodable {
        public let explicit: ExplicitEntry
        public let implicit: ImplicitEntry

        enum CodingKeys: String, CodingKey {
            case explicit = "ex_rm"
            case implicit = "im_rm"
        }
    }

    public let learningRate: Double
    public let beta: Double
    /// Bradley-Terry loss before the step, per reward model.
    public let loss: [RewardModelKind: Double]
    public let sequences: [String: SequenceEntry]

    enum CodingKeys: String, CodingKey {
        case learningRate = "eta"
        case beta, loss, sequences
    }

    public init(instance: Instance, learningRate: Double) throws(DivergenceError) {
        let layout = SequenceLayout(instance)

        var explicitModel = ExplicitRewardModel(layout: layout, readout: .lastPosition, head: instance.head)
        let explicitPrediction = try ExplicitRewardDynamics(layout: layout, readout: .lastPosition, initialHead: instance.head)
            .predictedStep(learningRate: learningRate)
        let explicitGradient = try explicitModel.step(learningRate: learningRate)
        let explicitAfter = explicitModel.rewards()
        let explicitCause = DivergenceError.likelyCause(
            learningRate: learningRate, largestSquaredNorm: DivergenceError.largestSquaredRowNorm(layout.lastPosition))
        try DivergenceError.check(explicitAfter, .reward, model: explicitModel.readout.kind.rawValue, step: 1,
                                  cause: explicitCause)

        // The prediction's closed form (its logits, contexts x V) is freed before the model allocates its
        // own logits and gradient buffers, so the two never coexist.
        let implicitPrediction = try ImplicitRewardDynamics(instance: instance, layout: layout, reference: .frozenInitial)
            .firstOrderPrediction(learningRate: learningRate)
        var implicitModel = ImplicitRewardModel(instance: instance, layout: layout, reference: .frozenInitial)
        let logProbabilities = implicitModel.sequenceLogProbabilities()
        let implicitGradient = try implicitModel.step(learningRate: learningRate)
        let implicitAfter = implicitModel.rewards()
        let logProbabilitiesAfter = implicitModel.sequenceLogProbabilities()
        let implicitCause = DivergenceError.likelyCause(
            learningRate: learningRate, largestSquaredNorm: DivergenceError.largestSquaredRowNorm(layout.contexts))
        try DivergenceError.check(implicitAfter, .reward, model: implicitModel.label, step: 1, cause: implicitCause)
        try DivergenceError.check(logProbabilitiesAfter, .logits, model: implicitModel.label, step: 1, cause: implicitCause)

        var entries = [String: SequenceEntry]()
        for (s, id) in layout.ids.enumerated() {
            let explicit = ExplicitEntry(
                reward: explicitGradient.rewards[s], exactDelta: explicitAfter[s] - explicitGradient.rewards[s],
                predictedDelta: explicitPrediction[s])
            let implicit = ImplicitEntry(
                reward: implicitGradient.rewards[s], exactDelta: implicitAfter[s] - implicitGradient.rewards[s],
                predictedDelta: implicitPrediction.predicted[s], tokenIdentityPart: implicitPrediction.tokenIdentity[s],
                competitionPart: implicitPrediction.competition[s], logProbability: logProbabilities[s],
                deltaLogProbability: logProbabilitiesAfter[s] - logProbabilities[s],
                predictedDeltaLogProbability: implicitPrediction.predicted[s] / instance.beta)
            entries[id] = SequenceEntry(explicit: explicit, implicit: implicit)
        }
        self.learningRate = learningRate
        beta = instance.beta
        loss = [.explicit: explicitGradient.loss, .implicit: implicitGradient.loss]
        sequences = entries
    }
}
