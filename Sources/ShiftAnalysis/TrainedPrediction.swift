import LinearAlgebra
import RewardDynamics

/// The T-step prediction: both read-outs trained on the instance's fixed states under Assumption 1,
/// by full-batch gradient descent on the mean Bradley-Terry loss over `train` (docs/theory.md §§2-3),
/// then read on every evaluation pair. It answers "which reward model type ranks which of my evaluation
/// pairs correctly after T steps", also when the training differences are not separable (where
/// Theorem 2's u* does not exist) and where one step's direction says nothing about the end.
///
/// EX-RM: the head u on the last position (`ExplicitRewardModel`, O(S d) per step, double). IM-RM: the
/// unembedding W (`StreamedImplicitRewardModel`, two products of 2 C_train V d multiply-adds per step, in
/// the model's precision), with pi_ref the starting model. Evaluation rewards are read at the halfway
/// step max(1, T / 2) and at T, so that a ranking still changing shows (`PredictionTrust`).
///
/// Mathematical properties:
/// - at T = 0 nothing moves (not run: `analyze` without `--steps`); at every T the EX-RM equals
///   `ExplicitRewardDynamics` and the IM-RM `ImplicitRewardModel` to rounding (tested);
/// - the checkpoints' training losses are those of the gradients the steps were taken from, and the
///   loss at T is recomputed from the final rewards.
public struct TrainedPrediction: Sendable, Encodable {
    /// Training loss and accuracy of both models at one step.
    public struct Checkpoint: Sendable, Encodable, Equatable {
        public let step: Int
        public let explicitLoss: Double
        public let implicitLoss: Double
        public let explicitTrainingAccuracy: Double
        public let implicitTrainingAccuracy: Double

        enum CodingKeys: String, CodingKey {
            case step
            case explicitLoss = "ex_rm_loss"
            case implicitLoss = "im_rm_loss"
            case explicitTrainingAccuracy = "ex_rm_training_accuracy"
            case implicitTrainingAccuracy = "im_rm_training_accuracy"
        }
    }

    public let steps: Int
    public let halfway: Int
    public let explicitLearningRate: Double
    public let implicitLearningRate: Double
    /// Whether each rate was given (else it is `PredictionLearningRates`' default).
    public let explicitLearningRateGiven: Bool
    public let implicitLearningRateGiven: Bool
    public let precision: ReadoutPrecision
    /// Steps 0, halfway and T (0 and T when the halfway step is T).
    public let checkpoints: [Checkpoint]
    /// Per layout sequence (NaN for sequences not evaluated): rewards at the halfway step and at T.
    let explicitHalfway: [Double]
    let explicitFinal: [Double]
    let implicitHalfway: [Double]
    let implicitFinal: [Double]

    enum CodingKeys: String, CodingKey {
        case steps, halfway, precision, checkpoints
        case explicitLearningRate = "ex_rm_learning_rate"
        case implicitLearningRate = "im_rm_learning_rate"
        case explicitLearningRateGiven = "ex_rm_learning_rate_given"
        case implicitLearningRateGiven = "im_rm_learning_rate_given"
    }

    /// Both margins of `pair` at T and at the halfway step.
    public func outcome(for pair: IndexedPair) -> TrainedPairOutcome {
        TrainedPairOutcome(
            explicitMargin: explicitFinal[pair.chosen] - explicitFinal[pair.rejected],
            implicitMargin: implicitFinal[pair.chosen] - implicitFinal[pair.rejected],
            explicitMarginAtHalfway: explicitHalfway[pair.chosen] - explicitHalfway[pair.rejected],
            implicitMarginAtHalfway: implicitHalfway[pair.chosen] - implicitHalfway[pair.rejected])
    }

    /// The checkpoint at T.
    public var final: Checkpoint { checkpoints.last! }
    /// The checkpoint at step 0.
    public var initial: Checkpoint { checkpoints.first! }

    /// Trains both models for `steps` steps and reads `evaluated` (layout indices) at the halfway step
    /// and at T. `implicitModel` must hold a `gradientPass` at its starting point (`initialGradient`),
    /// which becomes the first step; the explicit rate and, through it, the implicit one default as in
    /// `PredictionLearningRates` when nil. `progress(step, steps)` after every step.
    public static func run(instance: Instance, layout: SequenceLayout, implicitModel: inout StreamedImplicitRewardModel,
                           initialGradient: ImplicitGradientPass, steps: Int, explicitLearningRate: Double?,
                           implicitLearningRate: Double?, evaluated: [Int], progress: ((Int, Int) -> Void)? = nil)
        throws(DivergenceError) -> TrainedPrediction
    {
        precondition(steps >= 1, "a trained prediction needs at least one step, got \(steps)")
        precondition(implicitModel.stepsTaken == 0, "the IM-RM must start untrained")
        let halfway = max(1, steps / 2)
        var explicit = ExplicitRewardModel(layout: layout, readout: .lastPosition, head: instance.head)
        let explicitStart = BradleyTerryGradient(rewards: explicit.rewards(), pairs: layout.trainPairs)
        let explicitRate = explicitLearningRate
            ?? PredictionLearningRates.explicitDefault(differences: trainingDifferences(layout))
        let explicitDirection = BLAS.product(layout.lastPosition, transposeA: true, explicitStart.sequenceCoefficients)
        let implicitRate = implicitLearningRate ?? PredictionLearningRates.implicitDefault(
            explicitRate: explicitRate, explicitGradientSquaredNorm: BLAS.dot(explicitDirection, explicitDirection),
            implicitGradientSquaredNorm: instance.beta * instance.beta * implicitModel.updateSquaredNorm,
            beta: instance.beta)
        try LearningRates.validate(explicit: explicitRate, implicit: implicitRate, beta: instance.beta)

        func accuracy(_ rewards: [Double]) -> Double {
            MarginAccuracy.accuracy(layout.trainPairs.map { rewards[$0.chosen] - rewards[$0.rejected] })
        }
        var checkpoints = [Checkpoint(step: 0, explicitLoss: explicitStart.loss, implicitLoss: initialGradient.loss,
                                      explicitTrainingAccuracy: accuracy(explicitStart.rewards),
                                      implicitTrainingAccuracy: accuracy(initialGradient.rewards))]
        var explicitHalfway = [Double](repeating: .nan, count: layout.sequenceCount)
        var implicitHalfway = explicitHalfway
        var explicitFinal = explicitHalfway
        var implicitFinal = explicitHalfway
        var halfwayCheckpoint: Checkpoint?

        // The first update reuses the gradient the caller computed at the start.
        implicitModel.applyUpdate(learningRate: implicitRate)
        try explicit.step(learningRate: explicitRate)
        var taken = 1
        progress?(taken, steps)
        while true {
            if taken == halfway || taken == steps {
                let explicitRewards = explicit.rewards()
                try DivergenceError.check(explicitRewards, .reward, model: explicit.readout.kind.rawValue, step: taken,
                                          cause: .learningRateTooLarge(explicitRate))
                // At T the training sequences are read as well, for the final loss.
                let read = taken == steps ? Array(Set(evaluated + layout.trainSequences)).sorted() : evaluated
                var implicitRewards = [Double](repeating: .nan, count: layout.sequenceCount)
                for (s, reward) in zip(read, try implicitModel.evaluate(read).rewards) { implicitRewards[s] = reward }
                for s in evaluated {
                    if taken == halfway {
                        explicitHalfway[s] = explicitRewards[s]
                        implicitHalfway[s] = implicitRewards[s]
                    }
                    if taken == steps {
                        explicitFinal[s] = explicitRewards[s]
                        implicitFinal[s] = implicitRewards[s]
                    }
                }
                if taken == steps {
                    let explicitEnd = BradleyTerryGradient(rewards: explicitRewards, pairs: layout.trainPairs)
                    let implicitEnd = BradleyTerryGradient(rewards: implicitRewards, pairs: layout.trainPairs)
                    try DivergenceError.check(implicitEnd.loss, .loss, model: implicitModel.label, step: taken,
                                              cause: .learningRateTooLarge(implicitRate))
                    let end = Checkpoint(step: steps, explicitLoss: explicitEnd.loss, implicitLoss: implicitEnd.loss,
                                         explicitTrainingAccuracy: accuracy(explicitRewards),
                                         implicitTrainingAccuracy: accuracy(implicitRewards))
                    if let halfwayCheckpoint { checkpoints.append(halfwayCheckpoint) }
                    checkpoints.append(end)
                    break
                }
            }
            // Each step's gradient is taken at the current point: at the halfway step it gives that checkpoint.
            let explicitGradient = try explicit.step(learningRate: explicitRate)
            let implicitGradient = try implicitModel.step(learningRate: implicitRate)
            if taken == halfway {
                halfwayCheckpoint = Checkpoint(step: halfway, explicitLoss: explicitGradient.loss,
                                               implicitLoss: implicitGradient.loss,
                                               explicitTrainingAccuracy: accuracy(explicitGradient.rewards),
                                               implicitTrainingAccuracy: accuracy(implicitGradient.rewards))
            }
            taken += 1
            progress?(taken, steps)
        }
        return TrainedPrediction(
            steps: steps, halfway: halfway, explicitLearningRate: explicitRate, implicitLearningRate: implicitRate,
            explicitLearningRateGiven: explicitLearningRate != nil, implicitLearningRateGiven: implicitLearningRate != nil,
            precision: implicitModel.precision, checkpoints: checkpoints, explicitHalfway: explicitHalfway,
            explicitFinal: explicitFinal, implicitHalfway: implicitHalfway, implicitFinal: implicitFinal)
    }

    /// z_i = h(chosen) - h(rejected) at the last position, from the layout.
    static func trainingDifferences(_ layout: SequenceLayout) -> Matrix {
        var z = Matrix(rows: layout.trainPairs.count, columns: layout.lastPosition.columns)
        for (i, pair) in layout.trainPairs.enumerated() {
            z.setRow(i, to: zip(layout.lastPosition.row(pair.chosen), layout.lastPosition.row(pair.rejected)).map(-))
        }
        return z
    }
}
