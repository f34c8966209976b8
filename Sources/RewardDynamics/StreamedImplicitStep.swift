import LinearAlgebra

/// The paper's first-order IM-RM step ("Eq. 5", docs/theory.md §2) computed through the update
/// Delta = sum_l a_l (e_{v_l} - p_l) h_l^T instead of the context kernel: O(C V d) for C contexts, with
/// memory linear in C.
///
/// One step moves W by (eta beta / n) Delta, so to first order a context k of an evaluation sequence
/// changes its target log-probability by (eta beta / n) <e_{y_k} - p_k, Delta h_k>, and the reward by
///
///   Delta r_k = (eta beta^2 / n) ( <Delta_{y_k}, h_k> - <Delta^T p_k, h_k> ),
///
/// which is Eq. 5's sum_l a_l rho_kl <h_k, h_l> regrouped (Delta_{y_k} is row y_k of Delta). The token-
/// identity part comes from the part of Delta that the indicator 1[y_k = v_l] builds,
/// Delta^I = sum_l a_l e_{v_l} h_l^T, whose only non-zero rows are those of training tokens:
///
///   I_k = (eta beta^2 / n) <Delta^I_{y_k}, h_k>,        C_k = Delta r_k - I_k   (softmax competition).
///
/// Per sequence the parts are summed over its contexts. I is computed in double from the instance's
/// states, and is exactly 0 for a context whose target is no training token (no row of Delta^I exists
/// for it); the total comes from the streamed pass in the model's precision.
///
/// Mathematical properties:
/// - equal to `ImplicitFirstOrderPrediction` (the kernel form) to rounding (tested);
/// - tokenIdentity + competition = predicted for every sequence;
/// - tokenIdentity is exactly 0 for a sequence none of whose tokens occurs in a training response;
/// - linear in eta.
public struct StreamedFirstOrderPrediction: Sendable {
    /// Layout indices of the sequences, in the order asked for.
    public let sequences: [Int]
    /// Predicted Delta r per sequence.
    public let predicted: [Double]
    /// The part from 1[y_k = v_l].
    public let tokenIdentity: [Double]
    /// The rest: -p_l(y_k) - p_k(v_l) + <p_k, p_l>.
    public let competition: [Double]
    /// ln pi(y|x) at the W the prediction starts from.
    public let logProbabilities: [Double]
}

extension StreamedImplicitRewardModel {
    /// The Eq. 5 prediction for `sequences` of the step whose gradient the last `gradientPass` computed
    /// (W must not have moved since). One streamed pass over the sequences' contexts.
    public mutating func firstOrderPrediction(of sequences: [Int], learningRate: Double = 1,
                                              progress: ((Int, Int) -> Void)? = nil) throws(DivergenceError)
        -> StreamedFirstOrderPrediction
    {
        guard let coefficients = pendingGradientCoefficients else {
            preconditionFailure("streamed IM-RM: firstOrderPrediction needs a gradientPass at the current W")
        }
        let scale = learningRate * beta * beta / Double(layout.trainPairs.count)
        let width = layout.contexts.columns
        // Delta^I, row by row: sum over training contexts l predicting v of a_l h_l (double, layout order).
        var identityRows: [Int: [Double]] = [:]
        layout.contexts.elements.withUnsafeBufferPointer { h in
            for l in layout.trainContextRows {
                let a = coefficients[layout.contextSequence[l]]
                let token = layout.contextTokens[l]
                var row = identityRows[token] ?? [Double](repeating: 0, count: width)
                for j in 0..<width { row[j] += a * h[l * width + j] }
                identityRows[token] = row
            }
        }
        let plan = ContextChunkPlan.sequences(sequences, in: layout, rowBudget: pieceRowBudget)
        var predicted: [Double] = []
        var identity: [Double] = []
        var logProbabilities: [Double] = []
        let totalRows = sequences.reduce(0) { $0 + layout.contextRows(of: $1).count }
        var doneRows = 0
        for chunk in plan.chunks {
            var total: [Double] = []
            var target: [Double] = []
            for rows in plan.pieces(of: chunk) {
                let projection = try projectPiece(rows)
                for i in 0..<rows.count {
                    total.append(scale * (projection.target[i] - projection.mean[i]))
                }
                target += projection.statistics.target
            }
            var offset = 0
            for s in chunk.sequences {
                let rows = layout.contextRows(of: s)
                var sequenceTotal = 0.0
                var sequenceIdentity = 0.0
                for (position, k) in rows.enumerated() {
                    sequenceTotal += total[offset + position]
                    if let row = identityRows[layout.contextTokens[k]] {
                        var dot = 0.0
                        for j in 0..<width { dot += row[j] * layout.contexts.elements[k * width + j] }
                        sequenceIdentity += scale * dot
                    }
                }
                predicted.append(sequenceTotal)
                identity.append(sequenceIdentity)
                logProbabilities.append(target[offset..<(offset + rows.count)].reduce(0, +))
                offset += rows.count
            }
            doneRows += chunk.rows.count
            progress?(doneRows, totalRows)
        }
        try DivergenceError.check(predicted, .rewardChange, model: label, step: stepsTaken,
                                  cause: likelyCause(learningRate))
        return StreamedFirstOrderPrediction(
            sequences: sequences, predicted: predicted, tokenIdentity: identity,
            competition: zip(predicted, identity).map { $0 - $1 }, logProbabilities: logProbabilities)
    }
}
