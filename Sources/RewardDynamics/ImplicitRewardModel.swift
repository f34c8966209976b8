import LinearAlgebra

/// IM-RM trained in parameter space: the unembedding W itself, by full-batch gradient descent on the
/// Bradley-Terry loss, with hidden representations fixed (Assumption 1, docs/theory.md §§1-2).
///
/// logits_c = W h_c, r(seq) = beta sum_k [ln p_{c_k}(y_k) - ln p^ref_{c_k}(y_k)], and
/// grad_W r(seq) = beta sum_k (e_{y_k} - p_{c_k}) h_{c_k}^T, so one step is
/// W <- W + (eta beta / n) G^T H, G's rows a_l (e_{y_l} - p_l) over training contexts l.
///
/// Mathematical properties:
/// - with `.frozenInitial` and W = W_ref, every reward is exactly 0 (the same computation twice);
/// - the rows of tokens that no training context predicts move only through softmax competition
///   (-a_l p_l(v)); see `SingleTokenImplicitDynamics` for the case where that term cancels exactly.
///
/// A step throws `DivergenceError` as soon as the logits (a NaN or infinity anywhere in them shows in a
/// row's log-sum-exp), a reward or the loss is not finite. A non-finite W is caught by the next logits:
/// every entry of W enters every context's logits, so no extra pass over V x d is needed.
public struct ImplicitRewardModel: Sendable {
    public let reference: ImplicitReference
    public let beta: Double
    public private(set) var unembedding: Matrix
    /// Steps taken so far.
    public private(set) var stepsTaken = 0
    private let layout: SequenceLayout
    private let referenceLogProbabilities: [Double]?
    /// Contexts grouped by identical representations: logits, log-sum-exps and softmaxes are taken once
    /// per class, the update's gradient rows merged per training class (`DistinctContexts`).
    private let classes: DistinctContexts
    /// The classes' representations (classes x d) and the training classes' (in `trainClasses` order).
    private let classContexts: Matrix
    private let trainContexts: Matrix
    /// Scratch of `step`: the logits (contexts x V) and the gradient rows (training contexts x V), kept
    /// from one step to the next. At V = 32768 each is about a gigabyte, and faulting in fresh pages for
    /// them every step cost as much as the exp work of the step. Allocated (and touched) once here, so
    /// every step costs the same; their contents mean nothing between steps.
    private var stepLogits: Matrix
    private var stepGradient: Matrix

    public init(instance: Instance, layout: SequenceLayout, reference: ImplicitReference) {
        self.reference = reference
        beta = instance.beta
        unembedding = instance.unembedding
        self.layout = layout
        let classes = DistinctContexts(layout)
        self.classes = classes
        classContexts = classes.classContexts(layout)
        trainContexts = classes.trainClassContexts(layout)
        stepLogits = Matrix(rows: classes.representatives.count, columns: instance.vocabularySize)
        stepGradient = Matrix(rows: classes.trainClasses.count, columns: instance.vocabularySize)
        // The reference logits pass through the step's logits buffer: no extra gigabyte at V = 32768.
        referenceLogProbabilities = reference.targetLogProbabilities(
            instance: instance, layout: layout, classes: classes, classContexts: classContexts, scratch: &stepLogits)
    }

    /// W h_c for every context, (contexts) x V.
    public func logits() -> Matrix {
        BLAS.product(layout.contexts, unembedding, transposeB: true)
    }

    /// The read-out, from the logits of the distinct representations (the same per context as from `logits()`).
    public func readout() -> ImplicitReadout {
        let classLogits = BLAS.product(classContexts, unembedding, transposeB: true)
        var none = Matrix(rows: 0, columns: classLogits.columns)
        return ImplicitReadout(classLogits: classLogits, classOf: classes.classOf, tokens: layout.contextTokens,
                               keepingExponentialsOf: [], into: &none)
    }

    public func rewards() -> [Double] {
        readout().rewards(layout: layout, referenceLogProbabilities: referenceLogProbabilities, beta: beta)
    }

    /// ln pi(y|x) of every sequence.
    public func sequenceLogProbabilities() -> [Double] {
        readout().sequenceLogProbabilities(layout: layout)
    }

    /// "im_rm" or "im_rm_noref", the name in a `DivergenceError`.
    public var label: String { reference.kind.rawValue }

    @discardableResult
    public mutating func step(learningRate: Double) throws(DivergenceError) -> BradleyTerryGradient {
        // class logits (classes x V) = H_classes (classes x d) W^T (d x V)
        BLAS.gemm(classContexts, unembedding, transposeB: true, into: &stepLogits)
        // one pass of exps per class: the log-sum-exps of all, and e^{x - max} of the training classes
        // left in the gradient buffer for the gradient rows
        let readout = ImplicitReadout(classLogits: stepLogits, classOf: classes.classOf, tokens: layout.contextTokens,
                                      keepingExponentialsOf: classes.trainClasses, into: &stepGradient)
        try readout.checkFinite(model: label, step: stepsTaken, cause: likelyCause(learningRate))
        let rewards = readout.rewards(layout: layout, referenceLogProbabilities: referenceLogProbabilities, beta: beta)
        let gradient = BradleyTerryGradient(rewards: rewards, pairs: layout.trainPairs)
        try gradient.checkFinite(model: label, step: stepsTaken, cause: likelyCause(learningRate))
        readout.writeMergedGradientRows(
            classes: classes, trainRows: layout.trainContextRows, tokens: layout.contextTokens,
            contextSequence: layout.contextSequence, sequenceCoefficients: gradient.sequenceCoefficients,
            into: &stepGradient)
        // W (V x d) += (eta beta / n) G^T (V x n_ctx) H_train (n_ctx x d), over the training classes
        // (G's rows merged per class)
        BLAS.gemm(stepGradient, transposeA: true, trainContexts,
                  alpha: learningRate * beta / Double(layout.trainPairs.count), beta: 1, into: &unembedding)
        stepsTaken += 1
        return gradient
    }

    private func likelyCause(_ learningRate: Double) -> DivergenceError.Cause {
        DivergenceError.likelyCause(learningRate: learningRate,
                                    largestSquaredNorm: DivergenceError.largestSquaredRowNorm(layout.contexts))
    }
}
