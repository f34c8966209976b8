import LinearAlgebra

/// IM-RM trained in function space: next-token logits of every context evolve in closed form from the
/// context Gram matrix, without the unembedding (docs/theory.md §3).
///
/// logits are linear in W, so Delta(W h_c) = Delta W h_c needs only <h_l, h_c>:
/// Lambda(t+1) = Lambda(t) + (eta beta / n) K G(t), K[c, l] = <h_c, h_l> over all contexts c and training
/// contexts l, G's rows a_l (e_{y_l} - p_l(t)).
///
/// K is a `CrossGramMatrix`: held whole up to 256 MiB (contexts x training contexts x 8 bytes), else
/// recomputed block by block of rows at every step (2 C C_train d extra flops beside the step's
/// 2 C C_train V), so memory stays linear in the number of contexts.
///
/// Mathematical properties:
/// - equal to `ImplicitRewardModel` trained on the same data at every step (to rounding);
/// - the per-step reward change differs from `firstOrderPrediction` by O(eta^2).
///
/// A step throws `DivergenceError` as soon as the logits, a reward or the loss is not finite.
public struct ImplicitRewardDynamics: Sendable {
    public let reference: ImplicitReference
    public let beta: Double
    /// K, contexts x training contexts.
    public let contextKernel: CrossGramMatrix
    /// Lambda, contexts x V (expanded from the classes' logits).
    public var logits: Matrix { classes.expand(classLogits) }
    /// Lambda of the distinct representations (`DistinctContexts`), classes x V: contexts with the same
    /// h have the same rows of K and so the same logits at every step.
    private var classLogits: Matrix
    private let classes: DistinctContexts
    /// K restricted to the classes and the training classes (classes x training classes), which
    /// multiplies the merged gradient rows; nil when there are no duplicates (then `contextKernel`).
    private let classKernel: CrossGramMatrix?
    public let layout: SequenceLayout
    /// Steps taken so far.
    public private(set) var stepsTaken = 0
    /// When the kernel and the first-order laws are held whole (see `CrossGramMatrix`).
    public let budget: CrossGramMatrix.Budget
    private let referenceLogProbabilities: [Double]?
    /// Scratch of `step`: the gradient rows (training contexts x V), kept from one step to the next so a
    /// step does not fault in a fresh gigabyte at V = 32768. Allocated at the first step (a simulator
    /// built only for `firstOrderPrediction` never holds it); meaningless between steps.
    private var stepGradient: Matrix?

    /// `budget`: the largest K (and first-order laws) kept whole and the size of blocks otherwise (see
    /// `CrossGramMatrix`).
    public init(instance: Instance, layout: SequenceLayout, reference: ImplicitReference,
                budget: CrossGramMatrix.Budget = .standard)
    {
        self.reference = reference
        beta = instance.beta
        self.layout = layout
        self.budget = budget
        contextKernel = CrossGramMatrix(
            left: layout.contexts, right: layout.contexts.selectingRows(layout.trainContextRows), budget: budget)
        let classes = DistinctContexts(layout)
        self.classes = classes
        let classContexts = classes.classContexts(layout)
        classKernel = classes.isTrivial ? nil
            : CrossGramMatrix(left: classContexts, right: classes.trainClassContexts(layout), budget: budget)
        // The reference logits pass through the buffer that then receives the initial logits, so that
        // construction holds one logits-sized matrix, not two.
        classLogits = Matrix(rows: classes.representatives.count, columns: instance.vocabularySize)
        referenceLogProbabilities = reference.targetLogProbabilities(
            instance: instance, layout: layout, classes: classes, classContexts: classContexts, scratch: &classLogits)
        BLAS.gemm(classContexts, instance.unembedding, transposeB: true, into: &classLogits)
    }

    /// "im_rm (closed form)" or "im_rm_noref (closed form)", the name in a `DivergenceError`.
    public var label: String { "\(reference.kind.rawValue) (closed form)" }

    public func readout() -> ImplicitReadout {
        var none = Matrix(rows: 0, columns: classLogits.columns)
        return ImplicitReadout(classLogits: classLogits, classOf: classes.classOf, tokens: layout.contextTokens,
                               keepingExponentialsOf: [], into: &none)
    }

    public func rewards() -> [Double] {
        readout().rewards(layout: layout, referenceLogProbabilities: referenceLogProbabilities, beta: beta)
    }

    /// The Bradley-Terry gradient at the current point.
    public func gradient() -> BradleyTerryGradient {
        BradleyTerryGradient(rewards: rewards(), pairs: layout.trainPairs)
    }

    @discardableResult
    public mutating func step(learningRate: Double) throws(DivergenceError) -> BradleyTerryGradient {
        var rows = stepGradient ?? Matrix(rows: classes.trainClasses.count, columns: classLogits.columns)
        stepGradient = nil  // `rows` is now the buffer's only owner, so writing it does not copy it
        // one pass of exps per row: the log-sum-exps of all rows, and e^{x - max} of the training rows
        // left in `rows` for the gradient rows
        let readout = ImplicitReadout(classLogits: classLogits, classOf: classes.classOf, tokens: layout.contextTokens,
                                      keepingExponentialsOf: classes.trainClasses, into: &rows)
        do {
            try readout.checkFinite(model: label, step: stepsTaken, cause: likelyCause(learningRate))
        } catch {
            stepGradient = rows
            throw error
        }
        let rewards = readout.rewards(layout: layout, referenceLogProbabilities: referenceLogProbabilities, beta: beta)
        let gradient = BradleyTerryGradient(rewards: rewards, pairs: layout.trainPairs)
        do {
            try gradient.checkFinite(model: label, step: stepsTaken, cause: likelyCause(learningRate))
        } catch {
            stepGradient = rows
            throw error
        }
        readout.writeMergedGradientRows(
            classes: classes, trainRows: layout.trainContextRows, tokens: layout.contextTokens,
            contextSequence: layout.contextSequence, sequenceCoefficients: gradient.sequenceCoefficients,
            into: &rows)
        // Lambda (contexts x V) += (eta beta / n) K (contexts x n_ctx) G (n_ctx x V), over the classes:
        // K's rows and columns of identical contexts are identical, so K[classes, train classes] times
        // the merged rows is the same update
        (classKernel ?? contextKernel).multiply(
            rows, alpha: learningRate * beta / Double(layout.trainPairs.count), beta: 1, into: &classLogits)
        stepGradient = rows
        stepsTaken += 1
        return gradient
    }

    /// The first-order (Eq. 5) prediction of the next step's reward change, split into token identity
    /// and softmax competition. Throws `DivergenceError` when the current logits, rewards or loss, or
    /// the prediction, are not finite.
    public func firstOrderPrediction(learningRate: Double) throws(DivergenceError) -> ImplicitFirstOrderPrediction {
        let readout = readout()
        try readout.checkFinite(model: label, step: stepsTaken, cause: likelyCause(learningRate))
        let gradient = BradleyTerryGradient(
            rewards: readout.rewards(layout: layout, referenceLogProbabilities: referenceLogProbabilities, beta: beta),
            pairs: layout.trainPairs)
        try gradient.checkFinite(model: label, step: stepsTaken, cause: likelyCause(learningRate))
        let prediction = ImplicitFirstOrderPrediction(
            layout: layout, logits: logits, contextKernel: contextKernel,
            sequenceCoefficients: gradient.sequenceCoefficients,
            learningRate: learningRate, beta: beta, budget: budget)
        try DivergenceError.check(prediction.predicted, .rewardChange, model: label, step: stepsTaken,
                                  cause: likelyCause(learningRate))
        return prediction
    }

    private func likelyCause(_ learningRate: Double) -> DivergenceError.Cause {
        DivergenceError.likelyCause(learningRate: learningRate,
                                    largestSquaredNorm: DivergenceError.largestSquaredRowNorm(layout.contexts))
    }
}
