import Foundation
import LinearAlgebra

/// The Bradley-Terry gradient of one streamed pass over the training contexts.
public struct ImplicitGradientPass: Sendable {
    /// r(seq) at the point the pass was taken, per layout sequence; NaN for sequences in no training pair
    /// (the pass never computes them; `StreamedImplicitRewardModel.rewards(of:)` does).
    public let rewards: [Double]
    /// The mean loss L over the training pairs.
    public let loss: Double
    /// s_i = sigma(r_i- - r_i+), per training pair.
    public let pairWeights: [Double]
    /// c(seq), per layout sequence (0 outside training pairs).
    public let sequenceCoefficients: [Double]
}

/// IM-RM trained in parameter space (Assumption 1, docs/theory.md §§1-2), streamed so that memory stays
/// linear in the number of contexts at a real vocabulary: the same model as `ImplicitRewardModel`, which
/// holds the logits of every context (contexts x V), and `ImplicitRewardDynamics`, which holds a
/// contexts x training-contexts kernel.
///
/// One step is W <- W + (eta beta / n) sum_l a_l (e_{y_l} - p_l) h_l^T over the training contexts l. The
/// training pairs are cut into chunks of whole pair components (`ContextChunkPlan`), at most `rowBudget`
/// contexts each; per chunk one pass computes the logits (rows x V, one gemm), their log-sum-exp, the
/// chunk's rewards and Bradley-Terry weights a_l, the gradient rows a_l (e_{y_l} - p_l) in the same
/// buffer, and adds G^T H_chunk into the update Delta (V x d, a second gemm). A component larger than
/// the budget takes two passes (rewards first, then the gradient). The step's products are therefore
/// the two of `ImplicitRewardModel` (2 C_train V d multiply-adds each), in `precision`.
///
/// The reference log-probabilities ln p_ref(y_c) are computed once per context when first needed; when
/// the reference unembedding is bit-identical to the initial one (an exported instance), they are the
/// step-0 log-probabilities, taken from the first pass that reads them (so every reward is exactly 0 at
/// step 0, as for `ImplicitRewardModel`).
///
/// Mathematical properties:
/// - in float64 equal to `ImplicitRewardModel` trained on the same data at every step (to rounding,
///   tested to 1e-10), and its rewards to `ImplicitRewardDynamics`';
/// - memory: W, the update Delta and the contexts (each once, in `precision`), plus rowBudget x (V + 2 d)
///   scratch: linear in the contexts, never contexts x V or contexts x contexts (`bytes`);
/// - rows of tokens that no training context predicts move only through competition, -a_l p_l(v) h_l.
///
/// A pass throws `DivergenceError` as soon as the logits (a row's log-sum-exp), a reward or the loss is
/// not finite; a non-finite W shows in the next pass's logits.
public struct StreamedImplicitRewardModel: Sendable {
    /// The default byte budget of one piece's logits: 64 MiB, about 330 contexts at V = 50304 in float32,
    /// large enough for full-rate gemms, small beside W.
    public static let defaultPieceBytes = 64 << 20

    public let reference: ImplicitReference
    public let beta: Double
    public let layout: SequenceLayout
    /// The storage and product type.
    public let precision: ReadoutPrecision
    public let trainingPlan: ContextChunkPlan
    /// Steps taken so far.
    public private(set) var stepsTaken = 0

    private var float32: StreamedReadoutEngine<Float>?
    private var float64: StreamedReadoutEngine<Double>?
    /// The reference unembedding when it differs from the initial one (else nil: the step-0 passes give
    /// the reference log-probabilities).
    private var referenceFloat32: ScalarMatrix<Float>?
    private var referenceFloat64: ScalarMatrix<Double>?
    /// ln p_ref(y_c) per context, NaN until computed (unused without a reference).
    private var referenceLogProbabilities: [Double]
    /// The coefficients of the last gradient pass while W has not moved since (for the Eq. 5 split).
    private var pendingCoefficients: [Double]?

    /// `precision` `.automatic` resolves by the instance's size (`ReadoutPrecision`); `pieceBytes` bounds
    /// one piece's logits.
    public init(instance: Instance, layout: SequenceLayout, reference: ImplicitReference,
                precision: ReadoutPrecision = .automatic, pieceBytes: Int = defaultPieceBytes)
    {
        let resolved = precision.resolved(contexts: layout.contextCount, vocabularySize: instance.vocabularySize,
                                          hiddenWidth: instance.hiddenWidth)
        let scalarBytes = resolved == .float32 ? 4 : 8
        let budget = max(1, pieceBytes / max(1, scalarBytes * instance.vocabularySize))
        self.reference = reference
        beta = instance.beta
        self.layout = layout
        self.precision = resolved
        trainingPlan = ContextChunkPlan.training(layout, rowBudget: budget)
        let pieceRows = max(trainingPlan.largestPiece, 1)
        // Evaluation pieces use the same budget; the buffers are sized for the larger of the two.
        let rows = max(pieceRows, min(budget, max(1, layout.contextCount)))
        let distinctReference = reference == .frozenInitial
            && !Self.bitIdentical(instance.referenceUnembedding.elements, instance.unembedding.elements)
        switch resolved {
        case .float32:
            float32 = StreamedReadoutEngine<Float>(unembedding: instance.unembedding, contexts: layout.contexts,
                                                   tokens: layout.contextTokens, rowBudget: rows)
            if distinctReference { referenceFloat32 = ScalarMatrix<Float>(instance.referenceUnembedding) }
        case .float64, .automatic:
            float64 = StreamedReadoutEngine<Double>(unembedding: instance.unembedding, contexts: layout.contexts,
                                                    tokens: layout.contextTokens, rowBudget: rows)
            if distinctReference { referenceFloat64 = ScalarMatrix<Double>(instance.referenceUnembedding) }
        }
        referenceLogProbabilities = [Double](repeating: .nan, count: reference == .frozenInitial ? layout.contextCount : 0)
    }

    /// "im_rm" or "im_rm_noref", the name in a `DivergenceError`.
    public var label: String { reference.kind.rawValue }

    /// Bytes the model holds (W, the update, the contexts in `precision`, scratch and the reference
    /// matrix when it differs from W): linear in the number of contexts.
    public var bytes: Int {
        (float32?.bytes ?? 0) + (float64?.bytes ?? 0) + (referenceFloat32?.bytes ?? 0) + (referenceFloat64?.bytes ?? 0)
            + 8 * referenceLogProbabilities.count
    }

    /// The current unembedding, as doubles (exact).
    public var unembedding: Matrix {
        float32?.unembedding.matrix ?? float64!.unembedding.matrix
    }

    // MARK: Passes

    /// One piece's softmax statistics under the current W; records the reference log-probabilities of its
    /// rows when they are the step-0 ones. Throws when a log-sum-exp or target log-probability is not finite.
    private mutating func piece(_ rows: ArraySlice<Int>, learningRate: Double) throws(DivergenceError)
        -> SoftmaxPieceStatistics
    {
        let statistics: SoftmaxPieceStatistics
        if float32 != nil {
            statistics = float32!.softmaxPiece(rows, weights: float32!.unembedding)
        } else {
            statistics = float64!.softmaxPiece(rows, weights: float64!.unembedding)
        }
        try DivergenceError.check(statistics.logSumExp, .logits, model: label, step: stepsTaken,
                                  cause: likelyCause(learningRate))
        try DivergenceError.check(statistics.target, .logits, model: label, step: stepsTaken,
                                  cause: likelyCause(learningRate))
        if reference == .frozenInitial && stepsTaken == 0 && !hasDistinctReference {
            for (i, row) in rows.enumerated() where referenceLogProbabilities[row].isNaN {
                referenceLogProbabilities[row] = statistics.target[i]
            }
        }
        return statistics
    }

    private var hasDistinctReference: Bool { referenceFloat32 != nil || referenceFloat64 != nil }

    /// Makes sure ln p_ref(y_c) is known for every row of `sequences` (a pass with the reference unembedding
    /// over the rows still missing).
    private mutating func prepareReference(_ sequences: [Int]) {
        guard reference == .frozenInitial else { return }
        let missing = sequences.filter { s in layout.contextRows(of: s).contains { referenceLogProbabilities[$0].isNaN } }
        guard !missing.isEmpty else { return }
        precondition(hasDistinctReference || stepsTaken == 0,
                     "streamed IM-RM: reference log-probabilities are computed before the first update")
        let plan = ContextChunkPlan.sequences(missing, in: layout, rowBudget: rowBudget)
        for chunk in plan.chunks {
            for rows in plan.pieces(of: chunk) {
                let statistics: SoftmaxPieceStatistics
                if let referenceFloat32 {
                    statistics = float32!.softmaxPiece(rows, weights: referenceFloat32)
                } else if let referenceFloat64 {
                    statistics = float64!.softmaxPiece(rows, weights: referenceFloat64)
                } else if float32 != nil {
                    statistics = float32!.softmaxPiece(rows, weights: float32!.unembedding)
                } else {
                    statistics = float64!.softmaxPiece(rows, weights: float64!.unembedding)
                }
                for (i, row) in rows.enumerated() { referenceLogProbabilities[row] = statistics.target[i] }
            }
        }
    }

    private var rowBudget: Int { float32?.rowBudget ?? float64!.rowBudget }

    /// beta * sum over `rows` of [ln p(y) - ln p_ref(y)], from target log-probabilities in row order.
    private func reward(rows: some Collection<Int>, target: some Collection<Double>) -> Double {
        var total = 0.0
        for (row, value) in zip(rows, target) {
            total += value - (reference == .frozenInitial ? referenceLogProbabilities[row] : 0)
        }
        return beta * total
    }

    /// The Bradley-Terry gradient at the current W, accumulated into the update (see the type's doc); W
    /// itself does not move (`applyUpdate`). `progress(done, total)` counts training contexts.
    @discardableResult
    public mutating func gradientPass(learningRate: Double = 1, progress: ((Int, Int) -> Void)? = nil)
        throws(DivergenceError) -> ImplicitGradientPass
    {
        if hasDistinctReference || stepsTaken > 0 { prepareReference(layout.trainSequences) }
        if float32 != nil { float32!.clearUpdate() } else { float64!.clearUpdate() }
        var rewards = [Double](repeating: .nan, count: layout.sequenceCount)
        var coefficients = [Double](repeating: 0, count: layout.sequenceCount)
        var pairWeights = [Double](repeating: 0, count: layout.trainPairs.count)
        var lossTotal = 0.0
        let totalRows = layout.trainContextRows.count
        var doneRows = 0
        for chunk in trainingPlan.chunks {
            let pieces = trainingPlan.pieces(of: chunk)
            var target = [Double]()
            target.reserveCapacity(chunk.rows.count)
            var single: SoftmaxPieceStatistics?
            for rows in pieces {
                let statistics = try piece(rows, learningRate: learningRate)
                target += statistics.target
                if pieces.count == 1 { single = statistics }
            }
            // The chunk's rewards and Bradley-Terry weights (the same arithmetic as `BradleyTerryGradient`).
            var offset = 0
            for s in chunk.sequences {
                let count = layout.contextRows(of: s).count
                rewards[s] = reward(rows: layout.contextRows(of: s), target: target[offset..<(offset + count)])
                offset += count
            }
            try DivergenceError.check(chunk.sequences.map { rewards[$0] }, .reward, model: label, step: stepsTaken,
                                      cause: likelyCause(learningRate))
            for index in chunk.pairs {
                let pair = layout.trainPairs[index]
                let margin = rewards[pair.chosen] - rewards[pair.rejected]
                lossTotal += StableMath.softplus(-margin)
                let weight = StableMath.sigmoid(-margin)
                pairWeights[index] = weight
                coefficients[pair.chosen] += weight
                coefficients[pair.rejected] -= weight
            }
            for rows in pieces {
                let statistics: SoftmaxPieceStatistics
                if let single { statistics = single } else { statistics = try piece(rows, learningRate: learningRate) }
                let rowCoefficients = rows.map { coefficients[layout.contextSequence[$0]] }
                if float32 != nil {
                    float32!.accumulateGradient(rows, sums: statistics.sums, coefficients: rowCoefficients)
                } else {
                    float64!.accumulateGradient(rows, sums: statistics.sums, coefficients: rowCoefficients)
                }
            }
            doneRows += chunk.rows.count
            progress?(doneRows, totalRows)
        }
        let loss = layout.trainPairs.isEmpty ? 0 : lossTotal / Double(layout.trainPairs.count)
        try DivergenceError.check(loss, .loss, model: label, step: stepsTaken, cause: likelyCause(learningRate))
        pendingCoefficients = coefficients
        return ImplicitGradientPass(rewards: rewards, loss: loss, pairWeights: pairWeights,
                                    sequenceCoefficients: coefficients)
    }

    /// W <- W + (eta beta / n) Delta with the update of the last `gradientPass`. Reference log-probabilities
    /// still missing are computed first (they are the step-0 ones).
    public mutating func applyUpdate(learningRate: Double) {
        precondition(pendingCoefficients != nil, "streamed IM-RM: applyUpdate needs a gradientPass at the current W")
        if stepsTaken == 0 && reference == .frozenInitial && !hasDistinctReference {
            prepareReference(Array(0..<layout.sequenceCount))
        }
        let alpha = learningRate * beta / Double(layout.trainPairs.count)
        if float32 != nil { float32!.applyUpdate(alpha: alpha) } else { float64!.applyUpdate(alpha: alpha) }
        pendingCoefficients = nil
        stepsTaken += 1
    }

    /// One full-batch gradient step: `gradientPass` then `applyUpdate`. Returns the gradient at the point
    /// the step was taken from.
    @discardableResult
    public mutating func step(learningRate: Double, progress: ((Int, Int) -> Void)? = nil) throws(DivergenceError)
        -> ImplicitGradientPass
    {
        let gradient = try gradientPass(learningRate: learningRate, progress: progress)
        applyUpdate(learningRate: learningRate)
        return gradient
    }

    /// r(seq) and ln pi(y|x) at the current W for the listed sequences, in that order (one streamed pass
    /// over their contexts).
    public mutating func evaluate(_ sequences: [Int], progress: ((Int, Int) -> Void)? = nil) throws(DivergenceError)
        -> (rewards: [Double], logProbabilities: [Double])
    {
        if hasDistinctReference || stepsTaken > 0 { prepareReference(sequences) }
        let plan = ContextChunkPlan.sequences(sequences, in: layout, rowBudget: rowBudget)
        var rewards: [Double] = []
        var logProbabilities: [Double] = []
        let totalRows = sequences.reduce(0) { $0 + layout.contextRows(of: $1).count }
        var doneRows = 0
        for chunk in plan.chunks {
            var target: [Double] = []
            for rows in plan.pieces(of: chunk) { target += try piece(rows, learningRate: 0).target }
            var offset = 0
            for s in chunk.sequences {
                let count = layout.contextRows(of: s).count
                let slice = target[offset..<(offset + count)]
                rewards.append(reward(rows: layout.contextRows(of: s), target: slice))
                logProbabilities.append(slice.reduce(0, +))
                offset += count
            }
            doneRows += chunk.rows.count
            progress?(doneRows, totalRows)
        }
        try DivergenceError.check(rewards, .reward, model: label, step: stepsTaken, cause: likelyCause(0))
        return (rewards, logProbabilities)
    }

    func likelyCause(_ learningRate: Double) -> DivergenceError.Cause {
        DivergenceError.likelyCause(learningRate: learningRate,
                                    largestSquaredNorm: DivergenceError.largestSquaredRowNorm(layout.contexts))
    }

    // MARK: Internal access for the first-order pass (StreamedImplicitStep.swift)

    var pendingGradientCoefficients: [Double]? { pendingCoefficients }

    mutating func projectPiece(_ rows: ArraySlice<Int>) throws(DivergenceError)
        -> (statistics: SoftmaxPieceStatistics, target: [Double], mean: [Double])
    {
        let statistics = try piece(rows, learningRate: 1)
        let projection = float32 != nil
            ? float32!.projectOntoUpdate(rows, sums: statistics.sums)
            : float64!.projectOntoUpdate(rows, sums: statistics.sums)
        return (statistics, projection.target, projection.mean)
    }

    var pieceRowBudget: Int { rowBudget }

    static func bitIdentical(_ a: [Double], _ b: [Double]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
    }
}

extension StreamedImplicitRewardModel {
    /// |Delta|_F^2 of the last gradient pass's raw update Delta = sum_l a_l (e_{y_l} - p_l) h_l^T, in double:
    /// the gradient of the loss in W is -(beta / n) Delta, so (beta / n)^2 times this is |grad_W L|^2.
    public var updateSquaredNorm: Double {
        let elements = float32.map { $0.update.elements.map(Double.init) } ?? float64!.update.elements
        return elements.reduce(0) { $0 + $1 * $1 }
    }
}
