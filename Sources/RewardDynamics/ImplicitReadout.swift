import TheorycheckCore
import Foundation
import LinearAlgebra

/// Whether an implicit reward subtracts a frozen reference model's log-probabilities.
public enum ImplicitReference: Sendable {
    /// r = beta ln pi/pi_ref, with pi_ref the instance's reference unembedding.
    case frozenInitial
    /// r = beta ln pi (ablation).
    case none

    /// The reward model with this reference.
    public var kind: RewardModelKind {
        switch self {
        case .frozenInitial: return .implicit
        case .none: return .implicitWithoutReference
        }
    }
}

extension ImplicitReference {
    /// ln p^ref_c(y_c) for every context of the layout, or nil without a reference. The reference logits
    /// are computed into `scratch` (contexts x V), so a caller that owns a logits-sized buffer needs no
    /// second one.
    func targetLogProbabilities(instance: Instance, layout: SequenceLayout, scratch: inout Matrix) -> [Double]? {
        switch self {
        case .frozenInitial:
            BLAS.gemm(layout.contexts, instance.referenceUnembedding, transposeB: true, into: &scratch)
            return ImplicitReadout(logits: scratch, tokens: layout.contextTokens).targetLogProbabilities
        case .none:
            return nil
        }
    }

    /// The same from the logits of the distinct representations only (`scratch` classes x V).
    func targetLogProbabilities(instance: Instance, layout: SequenceLayout, classes: DistinctContexts,
                                classContexts: Matrix, scratch: inout Matrix) -> [Double]?
    {
        switch self {
        case .frozenInitial:
            BLAS.gemm(classContexts, instance.referenceUnembedding, transposeB: true, into: &scratch)
            var none = Matrix(rows: 0, columns: scratch.columns)
            return ImplicitReadout(classLogits: scratch, classOf: classes.classOf, tokens: layout.contextTokens,
                                   keepingExponentialsOf: [], into: &none).targetLogProbabilities
        case .none:
            return nil
        }
    }
}

/// What an IM-RM reads off a matrix of next-token logits (one row per context).
///
/// For context c with target token y_c: ln p_c(y_c) = logits[c, y_c] - logsumexp(logits[c, :]).
/// The reward of a sequence is beta * sum over its contexts of [ln p_c(y_c) - ln p^ref_c(y_c)].
public struct ImplicitReadout: Sendable {
    public let logSumExp: [Double]
    /// ln p_c(y_c) for every context.
    public let targetLogProbabilities: [Double]

    /// e^{x - max} and the sum of a row, for the rows whose exponentials a caller asked to keep
    /// (`init(logits:tokens:keepingExponentialsOf:into:)`), in that order; empty otherwise.
    let keptShifts: [Double]
    let keptSums: [Double]

    public init(logits: Matrix, tokens: [Int]) {
        var none = Matrix(rows: 0, columns: logits.columns)
        self.init(logits: logits, tokens: tokens, keepingExponentialsOf: [], into: &none)
    }

    /// The read-out, and e^{logits[c, v] - max_v logits[c, :]} of the listed rows `kept` written into
    /// row j of `exponentials` (kept.count x V) for c = kept[j]: one pass of exps over each row serves
    /// both the row's log-sum-exp and, for training contexts, its gradient row
    /// (`writeGradientRows(exponentials:...)`), instead of one pass for each.
    ///
    /// Each row's log-sum-exp is `FastExponential.logSumExp` (a vectorized exp accurate to about 2 ulp;
    /// libm's scalar exp cost a third of a `dynamics` run), rows spread over the cores by `RowBlocks`;
    /// the result does not depend on threading.
    public init(logits: Matrix, tokens: [Int], keepingExponentialsOf kept: [Int], into exponentials: inout Matrix) {
        self.init(classLogits: logits, classOf: Array(0..<logits.rows), tokens: tokens,
                  keepingExponentialsOf: kept, into: &exponentials)
    }

    /// The read-out of every context c from the logits of its class (`classLogits` row classOf[c], one
    /// row per distinct representation; see `DistinctContexts`): each class's log-sum-exp is computed
    /// once. The exponentials of the listed classes `kept` are left in `exponentials` as in
    /// `init(logits:tokens:keepingExponentialsOf:into:)`.
    public init(classLogits logits: Matrix, classOf: [Int], tokens: [Int], keepingExponentialsOf kept: [Int],
                into exponentials: inout Matrix)
    {
        precondition(classOf.count == tokens.count, "\(classOf.count) contexts for \(tokens.count) target tokens")
        let vocabulary = logits.columns
        precondition(exponentials.rows == kept.count && exponentials.columns == vocabulary,
                     "read-out: exponentials are \(exponentials.rows) x \(exponentials.columns), expected \(kept.count) x \(vocabulary)")
        // slot[k]: the row of `exponentials` that keeps class k's exps, or -1
        var slot = [Int](repeating: -1, count: logits.rows)
        for (j, k) in kept.enumerated() { slot[k] = j }
        var classLSE = [Double](repeating: 0, count: logits.rows)
        var shifts = [Double](repeating: 0, count: kept.count)
        var sums = [Double](repeating: 0, count: kept.count)
        logits.elements.withUnsafeBufferPointer { source in
            exponentials.elements.withUnsafeMutableBufferPointer { keptRows in
                classLSE.withUnsafeMutableBufferPointer { lse in
                    shifts.withUnsafeMutableBufferPointer { shifts in
                        sums.withUnsafeMutableBufferPointer { sums in
                            RowBlocks.forEachRow(rows: logits.rows, columns: vocabulary) { k in
                                let input = source.baseAddress! + k * vocabulary
                                let j = slot[k]
                                let row = j >= 0 ? keptRows.baseAddress! + j * vocabulary : nil
                                let (value, shift, sum) = FastExponential.logSumExp(
                                    input, count: vocabulary, keepingIn: row)
                                if j >= 0 {
                                    shifts[j] = shift
                                    sums[j] = sum
                                }
                                lse[k] = value
                            }
                        }
                    }
                }
            }
        }
        var lse = [Double](repeating: 0, count: tokens.count)
        var targets = [Double](repeating: 0, count: tokens.count)
        for c in tokens.indices {
            let k = classOf[c]
            lse[c] = classLSE[k]
            targets[c] = logits[k, tokens[c]] - classLSE[k]
        }
        logSumExp = lse
        targetLogProbabilities = targets
        keptShifts = shifts
        keptSums = sums
    }

    /// The update's gradient rows merged by training class (`DistinctContexts`), in place from the
    /// exponentials this read-out kept of `classes.trainClasses`: row s of `g` becomes
    /// sum_{l in class s} a_l (e_{y_l} - p_l), all p_l of the class being its softmax. Without
    /// duplicates, exactly `writeGradientRows(fromKeptExponentials:...)`.
    public func writeMergedGradientRows(classes: DistinctContexts, trainRows rows: [Int], tokens: [Int],
                                        contextSequence: [Int], sequenceCoefficients: [Double], into g: inout Matrix)
    {
        let vocabulary = g.columns
        precondition(g.rows == classes.trainClasses.count && keptSums.count == g.rows,
                     "gradient rows: \(g.rows) rows and \(keptSums.count) kept exponentials for \(classes.trainClasses.count) classes")
        g.elements.withUnsafeMutableBufferPointer { out in
            RowBlocks.forEachRow(rows: g.rows, columns: vocabulary) { s in
                let members = classes.trainMembers[s]
                let output = out.baseAddress! + s * vocabulary
                if members.count == 1 {
                    let c = rows[members[0]]
                    let a = sequenceCoefficients[contextSequence[c]]
                    let scale = -a / keptSums[s]
                    for v in 0..<vocabulary { output[v] *= scale }
                    output[tokens[c]] += a
                    return
                }
                var total = 0.0
                for j in members { total += sequenceCoefficients[contextSequence[rows[j]]] }
                let scale = -total / keptSums[s]
                for v in 0..<vocabulary { output[v] *= scale }
                for j in members {
                    let c = rows[j]
                    output[tokens[c]] += sequenceCoefficients[contextSequence[c]]
                }
            }
        }
    }

    /// Throws `DivergenceError` (quantity `.logits`) when a row's log-sum-exp or a target log-probability
    /// is not finite: a NaN or +infinity anywhere in a row of logits makes that row's log-sum-exp
    /// non-finite, so this O(contexts) check covers the whole contexts x V matrix.
    public func checkFinite(model: @autoclosure () -> String, step: Int,
                            cause: @autoclosure () -> DivergenceError.Cause) throws(DivergenceError)
    {
        try DivergenceError.check(logSumExp, .logits, model: model(), step: step, cause: cause())
        try DivergenceError.check(targetLogProbabilities, .logits, model: model(), step: step, cause: cause())
    }

    /// ln pi(y|x) of every sequence: the sum of its contexts' target log-probabilities.
    public func sequenceLogProbabilities(layout: SequenceLayout) -> [Double] {
        (0..<layout.sequenceCount).map { s in
            layout.contextRows(of: s).reduce(0) { $0 + targetLogProbabilities[$1] }
        }
    }

    /// beta * sum_k [ln p(y_k) - ln p_ref(y_k)] for every sequence (`reference` nil: no reference term).
    public func rewards(layout: SequenceLayout, referenceLogProbabilities reference: [Double]?, beta: Double)
        -> [Double]
    {
        (0..<layout.sequenceCount).map { s in
            var total = 0.0
            for c in layout.contextRows(of: s) {
                total += targetLogProbabilities[c] - (reference?[c] ?? 0)
            }
            return beta * total
        }
    }

    /// Rows a_l (e_{y_l} - p_l) for the listed contexts, with a_l = c(sequence of l): the coefficients of
    /// the reward gradient. grad_W sum_seq c(seq) r(seq) = beta * G^T H for these rows G and contexts H.
    public func gradientRows(logits: Matrix, rows: [Int], tokens: [Int], contextSequence: [Int],
                             sequenceCoefficients: [Double]) -> Matrix
    {
        var g = Matrix(rows: rows.count, columns: logits.columns)
        writeGradientRows(logits: logits, rows: rows, tokens: tokens, contextSequence: contextSequence,
                          sequenceCoefficients: sequenceCoefficients, into: &g)
        return g
    }

    /// `writeGradientRows` from the exponentials this read-out kept (`init(logits:tokens:keepingExponentialsOf:into:)`
    /// with the same `rows`), in place: row j of `g` holds e^{x - max} of context rows[j] and becomes
    /// a_l (e_{y_l} - p_l), p_l = e^{x - max} / sum. No exp is taken again.
    public func writeGradientRows(fromKeptExponentials rows: [Int], tokens: [Int], contextSequence: [Int],
                                  sequenceCoefficients: [Double], into g: inout Matrix)
    {
        let vocabulary = g.columns
        precondition(g.rows == rows.count && keptSums.count == rows.count,
                     "gradient rows: \(g.rows) rows and \(keptSums.count) kept exponentials for \(rows.count) contexts")
        g.elements.withUnsafeMutableBufferPointer { out in
            RowBlocks.forEachRow(rows: rows.count, columns: vocabulary) { j in
                let c = rows[j]
                let a = sequenceCoefficients[contextSequence[c]]
                let scale = -a / keptSums[j]
                let output = out.baseAddress! + j * vocabulary
                for v in 0..<vocabulary { output[v] *= scale }
                output[tokens[c]] += a
            }
        }
    }

    /// `gradientRows` written into `g` (rows.count x V), whose contents are overwritten, so that a
    /// simulator can keep one buffer across steps instead of faulting in a fresh gigabyte every step.
    /// Rows run in parallel (`RowBlocks`); each row is computed exactly as in a serial loop.
    public func writeGradientRows(logits: Matrix, rows: [Int], tokens: [Int], contextSequence: [Int],
                                  sequenceCoefficients: [Double], into g: inout Matrix)
    {
        let vocabulary = logits.columns
        precondition(g.rows == rows.count && g.columns == vocabulary,
                     "gradient rows: buffer is \(g.rows) x \(g.columns), expected \(rows.count) x \(vocabulary)")
        g.elements.withUnsafeMutableBufferPointer { out in
            logits.elements.withUnsafeBufferPointer { source in
                RowBlocks.forEachRow(rows: rows.count, columns: vocabulary) { j in
                    let c = rows[j]
                    let a = sequenceCoefficients[contextSequence[c]]
                    let shift = logSumExp[c]
                    let input = source.baseAddress! + c * vocabulary
                    let output = out.baseAddress! + j * vocabulary
                    FastExponential.shiftedExponentials(input, shift: shift, count: vocabulary, into: output)
                    for v in 0..<vocabulary { output[v] *= -a }
                    output[tokens[c]] += a
                }
            }
        }
    }
}
