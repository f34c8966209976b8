import LinearAlgebra

/// Trains every Assumption-1 reward model on an instance twice, once by updating its read-out (u or W)
/// and once by its closed form in function space, and records what the theory is judged by:
/// accuracy and normalized margin per evaluation set at checkpoints, the agreement between the two
/// computations at every step, and the first-order (Eq. 5) prediction's error at every checkpoint.
///
/// A run that diverges throws `DivergenceError` at the first non-finite learning rate, logit, reward,
/// loss or parameter (every model and closed form checks its own step, and the run checks every
/// reward it records), so no figure of the result is ever computed from a NaN.
public struct DynamicsExperiment: Sendable {
    public var steps: Int
    /// Learning rate of the EX-RM heads.
    public var explicitLearningRate: Double
    /// Learning rate of the IM-RM unembeddings.
    public var implicitLearningRate: Double
    public var kinds: [RewardModelKind]
    /// Also run every closed form in function space and the first-order predictions, and compare them
    /// with training. Off, only the read-outs train (about four times faster on the built-in task), and
    /// the result's agreement and first-order figures are empty.
    public var checksClosedForms: Bool

    public init(steps: Int, explicitLearningRate: Double, implicitLearningRate: Double,
                kinds: [RewardModelKind] = RewardModelKind.allCases, checksClosedForms: Bool = true)
    {
        precondition(steps >= 0, "steps must be non-negative, got \(steps)")
        self.steps = steps
        self.explicitLearningRate = explicitLearningRate
        self.implicitLearningRate = implicitLearningRate
        self.kinds = kinds
        self.checksClosedForms = checksClosedForms
    }

    /// Steps 0, 1, 10, 100, ... below `steps`, and `steps` itself.
    public static func checkpoints(upTo steps: Int) -> [Int] {
        var result = [0]
        var power = 1
        while power < steps {
            result.append(power)
            power *= 10
        }
        if steps > 0 { result.append(steps) }
        return result
    }

    /// Steps at which the trajectory (for plots) is recorded: every step up to 10, then about 30 per decade,
    /// and every checkpoint.
    public static func trajectorySteps(upTo steps: Int) -> [Int] {
        var result = Set(0...min(steps, 10)).union(checkpoints(upTo: steps))
        var value = 10.0
        while value < Double(steps) {
            result.insert(Int(value.rounded()))
            value *= 1.08
        }
        result.insert(steps)
        return result.sorted()
    }

    /// Runs the experiment; `progress(step, steps)` is called after every step. Throws `DivergenceError`
    /// when a learning rate is not finite or the run diverges.
    public func run(on instance: Instance, progress: (Int, Int) -> Void = { _, _ in }) throws(DivergenceError)
        -> DynamicsResult
    {
        try LearningRates.validate(explicit: explicitLearningRate, implicit: implicitLearningRate, beta: instance.beta)
        let layout = SequenceLayout(instance)
        let checkpointSteps = Set(Self.checkpoints(upTo: steps))
        let trajectorySteps = Set(Self.trajectorySteps(upTo: steps))
        var trainers = kinds.map {
            TrainedPair(kind: $0, instance: instance, layout: layout, withClosedForm: checksClosedForms)
        }
        var checkpoints: [DynamicsCheckpoint] = []
        var trajectory: [DynamicsCheckpoint] = []
        var agreement = [RewardModelKind: Double]()
        var firstOrder: [FirstOrderRecord] = []
        if checksClosedForms { for kind in kinds { agreement[kind] = 0 } }

        for step in 0...steps {
            // Here every model has taken `step` steps.
            var rewards = [RewardModelKind: [Double]]()
            for index in trainers.indices {
                let kind = trainers[index].kind
                let learningRate = kind.isExplicit ? explicitLearningRate : implicitLearningRate
                let trained: [Double]
                let closedForm: [Double]?
                if step < steps {
                    if checksClosedForms && checkpointSteps.contains(step) {
                        let record: FirstOrderRecord
                        (trained, closedForm, record) = try trainers[index].stepRecordingFirstOrder(
                            step: step, learningRate: learningRate)
                        firstOrder.append(record)
                    } else {
                        (trained, closedForm) = try trainers[index].step(learningRate: learningRate)
                    }
                } else {
                    (trained, closedForm) = (trainers[index].parameterSpaceRewards(), trainers[index].functionSpaceRewards())
                    try trainers[index].checkFinal(trained: trained, closedForm: closedForm, step: step,
                                                   learningRate: learningRate)
                }
                if let closedForm {
                    agreement[kind] = NaNPropagating.max(agreement[kind]!,
                                                         NaNPropagating.maxRelativeDifference(closedForm, trained))
                }
                rewards[kind] = trained
            }
            if trajectorySteps.contains(step) || checkpointSteps.contains(step) {
                let record = Self.checkpoint(step: step, rewards: rewards, layout: layout)
                if trajectorySteps.contains(step) { trajectory.append(record) }
                if checkpointSteps.contains(step) { checkpoints.append(record) }
            }
            if step > 0 { progress(step, steps) }
        }
        return DynamicsResult(
            evaluationSets: layout.evaluationSets.map(\.name), kinds: kinds, checkpoints: checkpoints,
            trajectory: trajectory, agreement: agreement, firstOrder: firstOrder)
    }
}

extension DynamicsExperiment {
    /// Metrics of every model from the rewards its read-out gives after `step` steps.
    fileprivate static func checkpoint(step: Int, rewards: [RewardModelKind: [Double]], layout: SequenceLayout)
        -> DynamicsCheckpoint
    {
        var metrics = [RewardModelKind: [String: PairMetrics]]()
        var losses = [RewardModelKind: Double]()
        for (kind, values) in rewards {
            var perSet = [String: PairMetrics]()
            for set in layout.evaluationSets { perSet[set.name] = PairMetrics(rewards: values, pairs: set.pairs) }
            metrics[kind] = perSet
            losses[kind] = BradleyTerryGradient(rewards: values, pairs: layout.trainPairs).loss
        }
        return DynamicsCheckpoint(step: step, metrics: metrics, trainingLoss: losses)
    }
}

/// One reward model, trained in parameter space and in function space side by side.
private struct TrainedPair {
    let kind: RewardModelKind
    private var explicitModel: ExplicitRewardModel?
    private var explicitDynamics: ExplicitRewardDynamics?
    private var implicitModel: ImplicitRewardModel?
    private var implicitDynamics: ImplicitRewardDynamics?
    /// The largest squared norm of the representations the read-out multiplies, for `DivergenceError`.
    private let representations: Matrix

    init(kind: RewardModelKind, instance: Instance, layout: SequenceLayout, withClosedForm: Bool) {
        self.kind = kind
        representations = kind == .explicit ? layout.lastPosition
            : kind == .explicitMeanPooled ? layout.meanPooled : layout.contexts
        switch kind {
        case .explicit, .explicitMeanPooled:
            let readout: ExplicitReadout = kind == .explicit ? .lastPosition : .meanPooled
            explicitModel = ExplicitRewardModel(layout: layout, readout: readout, head: instance.head)
            if withClosedForm {
                explicitDynamics = ExplicitRewardDynamics(layout: layout, readout: readout, initialHead: instance.head)
            }
        case .implicit, .implicitWithoutReference:
            let reference: ImplicitReference = kind == .implicit ? .frozenInitial : .none
            implicitModel = ImplicitRewardModel(instance: instance, layout: layout, reference: reference)
            if withClosedForm {
                implicitDynamics = ImplicitRewardDynamics(instance: instance, layout: layout, reference: reference)
            }
        }
    }

    func parameterSpaceRewards() -> [Double] {
        explicitModel?.rewards() ?? implicitModel!.rewards()
    }

    /// Nil when the closed form is not run.
    func functionSpaceRewards() -> [Double]? {
        explicitDynamics?.rewards ?? implicitDynamics?.rewards()
    }

    /// One step of both computations; returns the rewards each had before it. Throws `DivergenceError`
    /// from either computation.
    @discardableResult
    mutating func step(learningRate: Double) throws(DivergenceError) -> (parameterSpace: [Double], functionSpace: [Double]?) {
        if explicitModel != nil {
            let trained = try explicitModel!.step(learningRate: learningRate).rewards
            let closedForm = try explicitDynamics?.step(learningRate: learningRate).rewards
            return (trained, closedForm)
        }
        let trained = try implicitModel!.step(learningRate: learningRate).rewards
        let closedForm = try implicitDynamics?.step(learningRate: learningRate).rewards
        return (trained, closedForm)
    }

    /// Throws `DivergenceError` when the rewards after the last step (which no further step checks) are
    /// not finite.
    func checkFinal(trained: [Double], closedForm: [Double]?, step: Int, learningRate: Double) throws(DivergenceError) {
        let cause = DivergenceError.likelyCause(
            learningRate: learningRate, largestSquaredNorm: DivergenceError.largestSquaredRowNorm(representations))
        try DivergenceError.check(trained, .reward, model: kind.rawValue, step: step, cause: cause)
        if let closedForm {
            try DivergenceError.check(closedForm, .reward, model: "\(kind.rawValue) (closed form)", step: step, cause: cause)
        }
    }

    /// `step(learningRate:)`, and the closed form's prediction of that step against the step itself: the
    /// prediction is made before the step and compared with the closed form's actual change, so no copy
    /// of the closed form (its logits, contexts x V) is stepped on the side.
    mutating func stepRecordingFirstOrder(step: Int, learningRate: Double) throws(DivergenceError)
        -> (parameterSpace: [Double], functionSpace: [Double]?, record: FirstOrderRecord)
    {
        let before = functionSpaceRewards()!
        let predicted: [Double]
        var tokenIdentityShare: Double?
        if let dynamics = explicitDynamics {
            predicted = try dynamics.predictedStep(learningRate: learningRate)
        } else {
            let prediction = try implicitDynamics!.firstOrderPrediction(learningRate: learningRate)
            predicted = prediction.predicted
            let identity = prediction.tokenIdentity.reduce(0) { $0 + abs($1) }
            let competition = prediction.competition.reduce(0) { $0 + abs($1) }
            tokenIdentityShare = identity / max(identity + competition, .leastNormalMagnitude)
        }
        let (trained, closedForm) = try self.step(learningRate: learningRate)
        let exact = zip(functionSpaceRewards()!, before).map(-)
        let scale = NaNPropagating.maxAbs(exact)
        let error = NaNPropagating.maxAbsDifference(predicted, exact)
        let record = FirstOrderRecord(step: step, kind: kind, relativeError: scale > 0 ? error / scale : error,
                                      tokenIdentityShare: tokenIdentityShare)
        return (trained, closedForm, record)
    }
}
