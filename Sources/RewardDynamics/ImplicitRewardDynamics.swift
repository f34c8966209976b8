import LinearAlgebra

/// IM-RM trained in function space: next-token logits of every context evolve in closed form from the
/// context Gram matrix, without the unembedding (docs/theory.md §3).
///
/// logits are linear in W, so Delta(W h_c) = Delta W h_c needs only <h_l, h_c>:
/// Lambda(t+1) = Lambda(t) + (eta beta / n) K G(t), K[c, l] = <h_c, h_l> over all contexts c and training
/// contexts l, G's rows a_l (e_{y_l} - p_l(t)).
///
/// Mathematical properties:
/// - equal to `ImplicitRewardModel` trained on the same data at every step (to rounding);
/// - the per-step reward change differs from `firstOrderPrediction` by O(eta^2).
public struct ImplicitRewardDynamics: Sendable {
    public let reference: ImplicitReference
    public let beta: Double
    /// K, contexts x training contexts.
    public let contextKernel: Matrix
    /// Lambda, contexts x V.
    public private(set) var logits: Matrix
    public let layout: SequenceLayout
    private let referenceLogProbabilities: [Double]?
    /// Scratch of `step`: the gradient rows (training contexts x V), kept from one step to the next so a
    /// step does not fault in a fresh gigabyte at V = 32768. Allocated once here; meaningless between steps.
    private var stepGradient: Matrix

    public init(instance: Instance, layout: SequenceLayout, reference: ImplicitReference) {
        self.reference = reference
        beta = instance.beta
        self.layout = layout
        contextKernel = BLAS.product(
            layout.contexts, layout.contexts.selectingRows(layout.trainContextRows), transposeB: true)
        stepGradient = Matrix(rows: layout.trainContextRows.count, columns: instance.vocabularySize)
        // The reference logits pass through the buffer that then receives the initial logits, so that
        // construction holds one logits-sized matrix, not two.
        logits = Matrix(rows: layout.contextCount, columns: instance.vocabularySize)
        referenceLogProbabilities = reference.targetLogProbabilities(
            instance: instance, layout: layout, scratch: &logits)
        BLAS.gemm(layout.contexts, instance.unembedding, transposeB: true, into: &logits)
    }

    public func readout() -> ImplicitReadout {
        ImplicitReadout(logits: logits, tokens: layout.contextTokens)
    }

    public func rewards() -> [Double] {
        readout().rewards(layout: layout, referenceLogProbabilities: referenceLogProbabilities, beta: beta)
    }

    /// The Bradley-Terry gradient at the current point.
    public func gradient() -> BradleyTerryGradient {
        BradleyTerryGradient(rewards: rewards(), pairs: layout.trainPairs)
    }

    @discardableResult
    public mutating func step(learningRate: Double) -> BradleyTerryGradient {
        let readout = readout()
        let rewards = readout.rewards(layout: layout, referenceLogProbabilities: referenceLogProbabilities, beta: beta)
        let gradient = BradleyTerryGradient(rewards: rewards, pairs: layout.trainPairs)
        readout.writeGradientRows(
            logits: logits, rows: layout.trainContextRows, tokens: layout.contextTokens,
            contextSequence: layout.contextSequence, sequenceCoefficients: gradient.sequenceCoefficients,
            into: &stepGradient)
        // Lambda (contexts x V) += (eta beta / n) K (contexts x n_ctx) G (n_ctx x V)
        BLAS.gemm(contextKernel, stepGradient, alpha: learningRate * beta / Double(layout.trainPairs.count),
                  beta: 1, into: &logits)
        return gradient
    }

    /// The first-order (Eq. 5) prediction of the next step's reward change, split into token identity
    /// and softmax competition.
    public func firstOrderPrediction(learningRate: Double) -> ImplicitFirstOrderPrediction {
        ImplicitFirstOrderPrediction(
            layout: layout, logits: logits, contextKernel: contextKernel,
            sequenceCoefficients: gradient().sequenceCoefficients,
            learningRate: learningRate, beta: beta)
    }
}
