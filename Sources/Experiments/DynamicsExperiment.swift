import Foundation
import LinearAlgebra
import RewardDynamics
import TheorycheckCore

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
    /// Reward models trained at once, each on its own thread (with one BLAS thread); 1 runs them in turn
    /// with BLAS's own threading. The result does not depend on it.
    public var threads: Int

    public init(steps: Int, explicitLearningRate: Double, implicitLearningRate: Double,
                kinds: [RewardModelKind] = RewardModelKind.fixedRepresentation, checksClosedForms: Bool = true,
                threads: Int = 2)
    {
        precondition(threads >= 1, "threads must be at least 1, got \(threads)")
        self.threads = threads
        precondition(steps >= 0, "steps must be non-negative, got \(steps)")
        self.steps = steps
        self.explicitLearningRate = explicitLearningRate
        self.implicitLearningRate = implicitLearningRate
        self.kinds = kinds
        self.checksClosedForms = checksClosedForms
    }

    /// Runs the experiment; `progress(step, steps)` is called (from any thread) as the models advance.
    /// Throws `DivergenceError` when a learning rate is not finite or the run diverges.
    ///
    /// The reward models are independent, so they train on `threads` threads with one BLAS thread each:
    /// each IM-RM as two tasks (parameter space, function space; their rewards are compared step by step
    /// afterwards, segment by segment), each EX-RM as one. The result does not depend on `threads`.
    public func run(on instance: Instance, progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in })
        throws(DivergenceError) -> DynamicsResult
    {
        try LearningRates.validate(explicit: explicitLearningRate, implicit: implicitLearningRate, beta: instance.beta)
        let layout = SequenceLayout(instance)
        let checkpointSteps = Set(StepSchedule.decades.steps(upTo: steps))
        let trajectorySteps = Set(StepSchedule.trajectory.steps(upTo: steps))
        let recorded = checkpointSteps.union(trajectorySteps)
        if threads > 1 && kinds.count > 1 { BLASThreads.useSingleThread() }
        let counter = StepCounter(models: kinds.count, steps: steps, report: progress)
        let runs = try runSplit(instance: instance, layout: layout, recorded: recorded,
                                checkpointSteps: checkpointSteps, counter: counter)

        var checkpoints: [DynamicsCheckpoint] = []
        var trajectory: [DynamicsCheckpoint] = []
        for step in recorded.sorted() {
            var rewards = [RewardModelKind: [Double]]()
            for run in runs { rewards[run.kind] = run.rewards[step] }
            let record = Self.checkpoint(step: step, rewards: rewards, layout: layout)
            if trajectorySteps.contains(step) { trajectory.append(record) }
            if checkpointSteps.contains(step) { checkpoints.append(record) }
        }
        var agreement = [RewardModelKind: Double]()
        for run in runs { if let value = run.agreement { agreement[run.kind] = value } }
        // Step-major, then in the order of `kinds`: the order of the single-threaded loop this replaces.
        let firstOrder = runs.flatMap { run in run.firstOrder.map { (run.kindIndex, $0) } }
            .sorted { ($0.1.step, $0.0) < ($1.1.step, $1.0) }.map(\.1)
        return DynamicsResult(
            evaluationSets: layout.evaluationSets.map(\.name), kinds: kinds, checkpoints: checkpoints,
            trajectory: trajectory, agreement: agreement, firstOrder: firstOrder)
    }
}

/// What one reward model's run hands back to `DynamicsExperiment.run`.
private struct KindRun: Sendable {
    let kind: RewardModelKind
    let kindIndex: Int
    var agreement: Double?
    var rewards: [Int: [Double]] = [:]
    var firstOrder: [FirstOrderRecord] = []

    init(kind: RewardModelKind, kindIndex: Int, agreement: Double?) {
        self.kind = kind
        self.kindIndex = kindIndex
        self.agreement = agreement
    }
}

/// Steps finished over all models, reported as the steps every model has (on average) taken.
private final class StepCounter: @unchecked Sendable {
    private let models: Int
    private let steps: Int
    private let report: @Sendable (Int, Int) -> Void
    private var done = 0
    private let lock = NSLock()

    init(models: Int, steps: Int, report: @escaping @Sendable (Int, Int) -> Void) {
        self.models = models
        self.steps = steps
        self.report = report
    }

    /// Reports inside the lock, so the reported steps never go backwards.
    func advance() {
        lock.lock()
        defer { lock.unlock() }
        done += 1
        if done % models == 0 { report(done / models, steps) }
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
        case .generativeVerifier:
            preconditionFailure("the EX-GRM needs a language model; fixed representations have no closed form for it")
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

// MARK: - Parallel tasks

/// One of the parallel tasks of a run. An IM-RM with its closed form is two tasks (its read-out in
/// parameter space, its closed form in function space), so that the two IM-RMs' four halves and the
/// two EX-RMs balance over two threads; an EX-RM (cheap) is one task doing both, side by side.
///
/// A task advances iteration by iteration (iteration `step` of `0...steps` takes the step after
/// `step` steps, or at `steps` reads the final rewards) and stops at its first `DivergenceError`.
private final class KindTask: @unchecked Sendable {
    enum Part { case both, parameterSpace, functionSpace }
    let kindIndex: Int
    let kind: RewardModelKind
    let part: Part
    var pair: TrainedPair?
    var model: ImplicitRewardModel?
    var dynamics: ImplicitRewardDynamics?
    /// Iterations done so far.
    var next = 0
    var error: DivergenceError?
    /// The iteration and the order within it (parameter space 0, closed form 1) of `error`.
    var errorOrder = (Int.max, Int.max)
    /// `.both`: the whole run. `.parameterSpace`: recorded rewards. `.functionSpace`: first-order records.
    var run: KindRun
    /// The rewards of the iterations of the current segment, in order (split tasks only).
    var segmentRewards: [[Double]] = []

    init(kindIndex: Int, kind: RewardModelKind, part: Part, run: KindRun) {
        self.kindIndex = kindIndex
        self.kind = kind
        self.part = part
        self.run = run
    }

    var failed: Bool { error != nil }
}

extension DynamicsExperiment {
    /// Runs every kind's tasks on `threads` threads, in segments of iterations short enough that the
    /// rewards a segment keeps for the closed-form agreement stay small, and merges them into one
    /// `KindRun` per kind, as one task per kind running both computations side by side would (the
    /// agreement is the same running maximum over the same steps; the first divergence of a kind is the earliest by step,
    /// parameter space first, and of the run the first kind's in `kinds` order, as before).
    fileprivate func runSplit(instance: Instance, layout: SequenceLayout, recorded: Set<Int>,
                              checkpointSteps: Set<Int>, counter: StepCounter) throws(DivergenceError) -> [KindRun]
    {
        var tasks: [KindTask] = []
        for (index, kind) in kinds.enumerated() {
            let base = KindRun(kind: kind, kindIndex: index, agreement: checksClosedForms ? 0 : nil)
            switch kind {
            case .implicit, .implicitWithoutReference:
                let reference: ImplicitReference = kind == .implicit ? .frozenInitial : .none
                let parameter = KindTask(kindIndex: index, kind: kind, part: .parameterSpace, run: base)
                parameter.model = ImplicitRewardModel(instance: instance, layout: layout, reference: reference)
                tasks.append(parameter)
                if checksClosedForms {
                    let function = KindTask(kindIndex: index, kind: kind, part: .functionSpace, run: base)
                    function.dynamics = ImplicitRewardDynamics(instance: instance, layout: layout, reference: reference)
                    tasks.append(function)
                }
            default:
                let both = KindTask(kindIndex: index, kind: kind, part: .both, run: base)
                both.pair = TrainedPair(kind: kind, instance: instance, layout: layout, withClosedForm: checksClosedForms)
                tasks.append(both)
            }
        }
        // Longest first, so that two threads end together: closed forms (K G, contexts x training
        // contexts x V), then IM-RM read-outs, then the EX-RMs.
        func cost(_ task: KindTask) -> Int {
            switch task.part {
            case .functionSpace: return 0
            case .parameterSpace: return 1
            case .both: return 2
            }
        }
        let taskList = tasks
        let order = tasks.indices.sorted { (cost(tasks[$0]), $0) < (cost(tasks[$1]), $1) }
        let sequences = max(1, layout.sequenceCount)
        let segment = max(1, min(steps + 1, (8 << 20) / sequences))  // at most 64 MB of kept rewards
        let likelyCause = DivergenceError.likelyCause(
            learningRate: implicitLearningRate, largestSquaredNorm: DivergenceError.largestSquaredRowNorm(layout.contexts))
        var start = 0
        while start <= steps {
            let end = min(steps, start + segment - 1)
            do {
                _ = try parallelMap(count: order.count, threads: threads) { [self] slot in
                    let task = taskList[order[slot]]
                    advance(task, through: end, layout: layout, recorded: recorded,
                            checkpointSteps: checkpointSteps, counter: counter, cause: likelyCause)
                }
            } catch {
                preconditionFailure("a task reports divergence in its own state, got \(error)")
            }
            // the closed-form agreement of the segment's iterations, in order
            for parameter in tasks where parameter.part == .parameterSpace {
                guard let function = tasks.first(where: { $0.part == .functionSpace && $0.kindIndex == parameter.kindIndex })
                else { continue }
                let count = min(parameter.segmentRewards.count, function.segmentRewards.count)
                for i in 0..<count {
                    parameter.run.agreement = NaNPropagating.max(
                        parameter.run.agreement!,
                        NaNPropagating.maxRelativeDifference(function.segmentRewards[i], parameter.segmentRewards[i]))
                }
                parameter.segmentRewards.removeAll(keepingCapacity: true)
                function.segmentRewards.removeAll(keepingCapacity: true)
            }
            start = end + 1
            if tasks.allSatisfy({ $0.failed || $0.next > steps }) { break }
        }
        var runs: [KindRun] = []
        for index in kinds.indices {
            let own = tasks.filter { $0.kindIndex == index }
            if let first = own.filter(\.failed).min(by: { $0.errorOrder < $1.errorOrder }) { throw first.error! }
            if let both = own.first(where: { $0.part == .both }) {
                runs.append(both.run)
                continue
            }
            var run = own.first { $0.part == .parameterSpace }!.run
            if let function = own.first(where: { $0.part == .functionSpace }) { run.firstOrder = function.run.firstOrder }
            runs.append(run)
        }
        return runs
    }

    /// Runs `task`'s iterations up to `end`, or to its first divergence, which it keeps.
    private func advance(_ task: KindTask, through end: Int, layout: SequenceLayout, recorded: Set<Int>,
                         checkpointSteps: Set<Int>, counter: StepCounter, cause: DivergenceError.Cause)
    {
        let learningRate = task.kind.hasHead ? explicitLearningRate : implicitLearningRate
        while task.next <= end && !task.failed {
            let step = task.next
            do {
                switch task.part {
                case .both:
                    try iterateBoth(task, step: step, learningRate: learningRate, recorded: recorded,
                                    checkpointSteps: checkpointSteps)
                case .parameterSpace:
                    let trained: [Double]
                    if step < steps {
                        trained = try task.model!.step(learningRate: learningRate).rewards
                    } else {
                        trained = task.model!.rewards()
                        try DivergenceError.check(trained, .reward, model: task.kind.rawValue, step: step, cause: cause)
                    }
                    if checksClosedForms { task.segmentRewards.append(trained) }
                    if recorded.contains(step) { task.run.rewards[step] = trained }
                case .functionSpace:
                    try iterateClosedForm(task, step: step, learningRate: learningRate,
                                          checkpointSteps: checkpointSteps, cause: cause)
                }
            } catch {
                task.error = error
                // parameter space's error first when both fail at the same step, as side by side
                task.errorOrder = (step, task.part == .functionSpace ? 1 : 0)
                return
            }
            if step > 0 && task.part != .functionSpace { counter.advance() }
            task.next += 1
        }
    }

    /// One iteration (step, first-order record, or final check) of a task that runs both computations.
    private func iterateBoth(_ task: KindTask, step: Int, learningRate: Double, recorded: Set<Int>,
                             checkpointSteps: Set<Int>) throws(DivergenceError)
    {
        let trained: [Double]
        let closedForm: [Double]?
        if step < steps {
            if checksClosedForms && checkpointSteps.contains(step) {
                let record: FirstOrderRecord
                (trained, closedForm, record) = try task.pair!.stepRecordingFirstOrder(step: step, learningRate: learningRate)
                task.run.firstOrder.append(record)
            } else {
                (trained, closedForm) = try task.pair!.step(learningRate: learningRate)
            }
        } else {
            (trained, closedForm) = (task.pair!.parameterSpaceRewards(), task.pair!.functionSpaceRewards())
            try task.pair!.checkFinal(trained: trained, closedForm: closedForm, step: step, learningRate: learningRate)
        }
        if let closedForm {
            task.run.agreement = NaNPropagating.max(task.run.agreement!, NaNPropagating.maxRelativeDifference(closedForm, trained))
        }
        if recorded.contains(step) { task.run.rewards[step] = trained }
    }

    /// One iteration of an IM-RM's closed form alone: its step (with the first-order record at a
    /// checkpoint, as `TrainedPair.stepRecordingFirstOrder` makes it) or its final rewards.
    private func iterateClosedForm(_ task: KindTask, step: Int, learningRate: Double, checkpointSteps: Set<Int>,
                                   cause: DivergenceError.Cause) throws(DivergenceError)
    {
        let closedForm: [Double]
        if step < steps {
            if checkpointSteps.contains(step) {
                let before = task.dynamics!.rewards()
                let prediction = try task.dynamics!.firstOrderPrediction(learningRate: learningRate)
                let identity = prediction.tokenIdentity.reduce(0) { $0 + abs($1) }
                let competition = prediction.competition.reduce(0) { $0 + abs($1) }
                let tokenIdentityShare = identity / max(identity + competition, .leastNormalMagnitude)
                closedForm = try task.dynamics!.step(learningRate: learningRate).rewards
                let exact = zip(task.dynamics!.rewards(), before).map(-)
                let scale = NaNPropagating.maxAbs(exact)
                let error = NaNPropagating.maxAbsDifference(prediction.predicted, exact)
                task.run.firstOrder.append(FirstOrderRecord(
                    step: step, kind: task.kind, relativeError: scale > 0 ? error / scale : error,
                    tokenIdentityShare: tokenIdentityShare))
            } else {
                closedForm = try task.dynamics!.step(learningRate: learningRate).rewards
            }
        } else {
            closedForm = task.dynamics!.rewards()
            try DivergenceError.check(closedForm, .reward, model: "\(task.kind.rawValue) (closed form)", step: step,
                                      cause: cause)
        }
        task.segmentRewards.append(closedForm)
    }
}
