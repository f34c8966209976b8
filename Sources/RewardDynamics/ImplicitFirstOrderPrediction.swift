import LinearAlgebra

/// The paper's first-order IM-RM step ("Eq. 5", docs/theory.md §2), split into its two mechanisms.
///
/// Delta r(seq) = (eta beta^2 / n) sum_{k in seq} sum_l a_l rho_kl <h_k, h_l> + O(eta^2), over the
/// sequence's contexts k and training contexts l, with a_l the Bradley-Terry coefficient of l's sequence
/// and rho_kl = <e_{y_k} - p_k, e_{v_l} - p_l> = 1[y_k = v_l] - p_l(y_k) - p_k(v_l) + <p_k, p_l>.
/// The indicator is the token-identity part; the rest is softmax competition.
///
/// Mathematical properties:
/// - rho in [-2, 2]; rho >= (1 - p_k(v))(1 - p_l(v)) >= 0 when y_k = v_l = v;
/// - tokenIdentity + competition = predicted for every sequence (to rounding);
/// - the error against the exact step is O(eta^2), so the relative error falls about 10x when eta does.
///
/// Memory: the next-token laws p_k of all contexts and their overlaps <p_k, p_l> (contexts x V and
/// contexts x training contexts) are computed whole only when together they take at most
/// `budget.maximumBytes` (256 MiB by default, as `CrossGramMatrix`); otherwise block by block of
/// contexts (`budget.blockBytes` each), so that only the training contexts' laws (training contexts x V)
/// are held whole. The sums over l run in the same order either way.
public struct ImplicitFirstOrderPrediction: Sendable {
    /// Predicted Delta r per sequence.
    public let predicted: [Double]
    /// The part from 1[y_k = v_l].
    public let tokenIdentity: [Double]
    /// The part from -p_l(y_k) - p_k(v_l) + <p_k, p_l>.
    public let competition: [Double]

    /// `contextKernel` is K (contexts x training contexts, as `ImplicitRewardDynamics` holds it);
    /// `budget` bounds the laws and overlaps held at once (see above).
    public init(layout: SequenceLayout, logits: Matrix, contextKernel: CrossGramMatrix, sequenceCoefficients: [Double],
                learningRate: Double, beta: Double, budget: CrossGramMatrix.Budget = .standard)
    {
        let trainRows = layout.trainContextRows
        precondition(contextKernel.rows == layout.contextCount && contextKernel.columns == trainRows.count,
                     "first order: a \(contextKernel.rows) x \(contextKernel.columns) kernel for \(layout.contextCount) contexts and \(trainRows.count) training contexts")
        let trainProbabilities = StableMath.rowSoftmax(logits, rows: trainRows)  // n_ctx x V
        let vocabulary = logits.columns
        let trainCount = trainRows.count
        let scale = learningRate * beta * beta / Double(layout.trainPairs.count)
        let trainTokens = trainRows.map { layout.contextTokens[$0] }
        let trainCoefficients = trainRows.map { sequenceCoefficients[layout.contextSequence[$0]] }
        // Contexts per block of laws and overlaps: all of them when p (contexts x V) and the overlaps
        // (contexts x n_ctx) fit in maximumBytes together, which is every small instance.
        let lawRows = budget.blockRows(rows: layout.contextCount, columns: vocabulary + trainCount)

        var identityPerContext = [Double](repeating: 0, count: layout.contextCount)
        var competitionPerContext = [Double](repeating: 0, count: layout.contextCount)
        contextKernel.forEachRowBlock { kernelRows, kernelBlock in
            var start = kernelRows.lowerBound
            while start < kernelRows.upperBound {
                let block = start..<min(kernelRows.upperBound, start + lawRows)
                let probabilities = StableMath.rowSoftmax(logits, rows: Array(block))                  // b x V
                let overlap = BLAS.product(probabilities, trainProbabilities, transposeB: true)     // b x n_ctx
                probabilities.elements.withUnsafeBufferPointer { p in
                    trainProbabilities.elements.withUnsafeBufferPointer { pTrain in
                        kernelBlock.elements.withUnsafeBufferPointer { kernel in
                            overlap.elements.withUnsafeBufferPointer { q in
                                for k in block {
                                    let local = k - block.lowerBound             // row of p and q
                                    let kernelRow = k - kernelRows.lowerBound    // row of the kernel block
                                    let token = layout.contextTokens[k]
                                    var identity = 0.0
                                    var competition = 0.0
                                    for j in 0..<trainCount {
                                        let weight = trainCoefficients[j] * kernel[kernelRow * trainCount + j]
                                        if trainTokens[j] == token { identity += weight }
                                        let rhoCompetition = -pTrain[j * vocabulary + token]
                                            - p[local * vocabulary + trainTokens[j]] + q[local * trainCount + j]
                                        competition += weight * rhoCompetition
                                    }
                                    identityPerContext[k] = scale * identity
                                    competitionPerContext[k] = scale * competition
                                }
                            }
                        }
                    }
                }
                start = block.upperBound
            }
        }
        func perSequence(_ values: [Double]) -> [Double] {
            (0..<layout.sequenceCount).map { s in layout.contextRows(of: s).reduce(0) { $0 + values[$1] } }
        }
        tokenIdentity = perSequence(identityPerContext)
        competition = perSequence(competitionPerContext)
        predicted = zip(tokenIdentity, competition).map(+)
    }

    /// rho_kl = <e_a - p, e_b - q> for target tokens a, b and next-token laws p, q.
    public static func rho(token a: Int, probabilities p: [Double], token b: Int, probabilities q: [Double]) -> Double {
        precondition(p.count == q.count, "rho: laws over \(p.count) and \(q.count) tokens")
        let identity: Double = a == b ? 1 : 0
        return identity - q[a] - p[b] + BLAS.dot(p, q)
    }
}
