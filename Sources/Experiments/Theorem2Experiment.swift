import LinearAlgebra
import MaxMargin
import RewardDynamics
import ShiftAnalysis
import Tasks
import TheorycheckCore

/// Theorem 2 (token-level shift, docs/theory.md §4), executable: trains an EX-RM head and an IM-RM
/// unembedding side by side on a single-token instance (Assumptions 1-2) and measures each against its
/// prediction.
///
/// - IM-RM, by the exact single-token dynamics (`SingleTokenImplicitDynamics`):
///   W_v <- W_v + (eta beta / n) sum_i s_i (1[v = y_i+] - 1[v = y_i-]) h_{x_i}. Prediction: every row W_v of
///   a token never seen in a training response stays bit-identical to its start, so every unseen pair
///   keeps margin exactly 0 and accuracy exactly 0.5, at every step.
/// - EX-RM, by gradient descent on the training differences (`ExplicitHeadDescent`):
///   u <- u + (eta / n) Z^T sigma(-Z u). Prediction: for separable Z, u(t)/|u(t)| -> u*/|u*| (cosine rising
///   like 1 - O(1/log t)), and an evaluation pair is eventually ranked correctly iff <u*, zbar> > 0, token
///   identity playing no part.
///
/// Both models are O(n d) per step, so long runs are cheap. Checkpoints are log-spaced (`StepSchedule.logSpaced`).
///
/// Mathematical properties (checked by the tests):
/// - `implicit.unseenRowsUnchanged` is true and the IM-RM accuracy on unseen pairs is exactly 0.5;
/// - the cosine to u* is 0 at step 0 (zero head) and rises towards 1;
/// - on separable data with a margin, the EX-RM's accuracy on evaluation pairs equals the predicted-correct
///   fraction once t is large enough (`signAgreement` = 1).
public struct Theorem2Experiment: Sendable {
    public var steps: Int
    /// Learning rate of the EX-RM head.
    public var explicitLearningRate: Double
    /// Learning rate of the IM-RM unembedding.
    public var implicitLearningRate: Double
    /// Checkpoints per decade of steps.
    public var checkpointsPerDecade: Int
    /// The max-margin solver for u*.
    public var maxMarginMethod: MaxMarginMethod

    public init(steps: Int, explicitLearningRate: Double, implicitLearningRate: Double,
                checkpointsPerDecade: Int = 10, maxMarginMethod: MaxMarginMethod = .minimumNormPoint)
    {
        precondition(steps >= 0, "steps must be non-negative, got \(steps)")
        self.steps = steps
        self.explicitLearningRate = explicitLearningRate
        self.implicitLearningRate = implicitLearningRate
        self.checkpointsPerDecade = checkpointsPerDecade
        self.maxMarginMethod = maxMarginMethod
    }

    /// Runs the experiment. Throws `InstanceValidationError` when the instance is not single-token with
    /// shared prompt contexts (Assumption 2), `MaxMarginError` when u* cannot be certified, and
    /// `DivergenceError` when a learning rate is not finite or either model diverges.
    public func run(on instance: Instance, progress: (Int, Int) -> Void = { _, _ in }) throws -> Theorem2Result {
        try LearningRates.validate(explicit: explicitLearningRate, implicit: implicitLearningRate, beta: instance.beta)
        var implicit = try SingleTokenImplicitDynamics(instance: instance)
        let novelty = ResponseTokenNovelty(instance: instance)
        let sets = try instance.evaluationSets.map { set in
            do {
                return try EvaluationData(set: set, instance: instance, novelty: novelty)
            } catch let error as InstanceValidationError {
                throw InstanceValidationError(field: "eval.\(set.name)", problem: error.problem)
            }
        }
        let trainDifferences = PairDifferences.matrix(instance.train, in: instance)
        let outcome = try HardMarginSVM.solve(trainDifferences, method: maxMarginMethod)
        let separator = outcome.solution?.separator
        let predictions = sets.map { data in
            separator.map { MaxMarginPrediction(separator: $0, differences: data.differences) }
        }
        var explicit = ExplicitHeadDescent(differences: trainDifferences, head: instance.head)

        let checkpointSteps = StepSchedule.logSpaced(perDecade: checkpointsPerDecade).steps(upTo: steps)
        var checkpoints: [Theorem2Checkpoint] = []
        func record(step: Int) {
            checkpoints.append(Theorem2Checkpoint(
                step: step,
                cosineToMaxMargin: separator.map { MaxMarginPrediction.cosine(explicit.head, $0) },
                headNorm: BLAS.norm(explicit.head),
                explicitAccuracy: sets.map { MarginAccuracy.accuracy(BLAS.product($0.differences, explicit.head)) },
                implicitAccuracy: sets.map { MarginAccuracy.accuracy(implicit.margins($0.singleTokenPairs)) }))
        }
        var next = 0
        for step in 0...steps {
            if next < checkpointSteps.count && checkpointSteps[next] == step {
                record(step: step)
                next += 1
            }
            guard step < steps else { break }
            try explicit.step(learningRate: explicitLearningRate)
            try implicit.step(learningRate: implicitLearningRate)
            progress(step + 1, steps)
        }

        // Final figures per set, and pooled over every evaluation pair of every set.
        var setFigures: [Theorem2SetFigures] = []
        var pooled = Theorem2SetFigures.Accumulator()
        for (data, prediction) in zip(sets, predictions) {
            let explicitMargins = BLAS.product(data.differences, explicit.head)
            let implicitMargins = implicit.margins(data.singleTokenPairs)
            var accumulator = Theorem2SetFigures.Accumulator()
            accumulator.add(explicitMargins: explicitMargins, implicitMargins: implicitMargins,
                            predictedCorrect: prediction?.predictedCorrect, unseen: data.unseen)
            pooled.add(explicitMargins: explicitMargins, implicitMargins: implicitMargins,
                       predictedCorrect: prediction?.predictedCorrect, unseen: data.unseen)
            setFigures.append(accumulator.figures(name: data.set.name))
        }

        let unseenRows = novelty.unseenVocabulary(size: instance.vocabularySize)
        let changedUnseen = unseenRows.filter {
            !Self.bitIdentical(implicit.unembedding.row($0), instance.unembedding.row($0))
        }
        let trainedRowsChanged = novelty.trainingTokens.sorted().filter {
            !Self.bitIdentical(implicit.unembedding.row($0), instance.unembedding.row($0))
        }.count

        return Theorem2Result(
            steps: steps, explicitLearningRate: explicitLearningRate, implicitLearningRate: implicitLearningRate,
            maxMargin: Theorem2Result.MaxMarginSummary(outcome: outcome, trainingPairs: instance.train.count),
            unseenRowsChecked: unseenRows.count, changedUnseenRows: changedUnseen,
            trainingRowsChanged: trainedRowsChanged, trainingRows: novelty.trainingTokens.count,
            pooled: pooled.figures(name: "all"), sets: setFigures,
            setNames: sets.map(\.set.name), checkpoints: checkpoints, finalHeadNorm: BLAS.norm(explicit.head))
    }

    /// Equal bit patterns entry by entry (stricter than ==, which equates 0 and -0).
    static func bitIdentical(_ a: [Double], _ b: [Double]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
    }
}

/// One evaluation set, prepared once: its single-token pairs, difference rows and unseen mask.
private struct EvaluationData {
    let set: EvaluationSet
    let singleTokenPairs: [SingleTokenImplicitDynamics.Pair]
    /// zbar rows, pairs x d.
    let differences: Matrix
    let unseen: [Bool]

    init(set: EvaluationSet, instance: Instance, novelty: ResponseTokenNovelty) throws {
        self.set = set
        singleTokenPairs = try SingleTokenImplicitDynamics.pairs(of: set.pairs, in: instance)
        differences = PairDifferences.matrix(set.pairs, in: instance)
        unseen = set.pairs.map { novelty.isUnseen($0, in: instance) }
    }
}
