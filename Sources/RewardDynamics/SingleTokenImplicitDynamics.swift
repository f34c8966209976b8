import LinearAlgebra

/// IM-RM with single-token responses (Assumption 2, docs/theory.md §3): chosen and rejected responses
/// are one token each and share the prompt's context h_x, so the log-normalizer cancels from the margin:
///
///   m(x, a, b) = beta [ (W_a - W_b) h_x - (W^ref_a - W^ref_b) h_x ],
///
/// linear in W. The Bradley-Terry gradient has no softmax term at all, and one step is exactly
///
///   W_v <- W_v + (eta beta / n) sum_i s_i (1[v = y_i+] - 1[v = y_i-]) h_{x_i},
///   Delta m(xbar, a, b) = (eta beta^2 / n) sum_i s_i <h_xbar, h_{x_i}> T(a, b; y_i+, y_i-),
///   T = 1[a = y+] - 1[a = y-] - 1[b = y+] + 1[b = y-]  in {-2, ..., 2}.
///
/// The IM-RM's margin kernel is the token-identity matrix T times the prompt kernel; an EX-RM's is the
/// kernel of whole-sequence representations. That one line is the token-cue story.
///
/// Mathematical properties (Theorem 2, IM-RM side):
/// - a row W_v of a token never seen as a training response is bit-identical to its start, forever;
/// - a pair of such tokens keeps margin exactly 0 (W = W_ref at the start), so its accuracy is exactly 0.5;
/// - `predictedMarginChange` equals the actual change of every margin (to rounding).
///
/// A step throws `DivergenceError` as soon as a training margin or an updated row is not finite.
public struct SingleTokenImplicitDynamics: Sendable {
    /// A preference between two single-token responses to one prompt.
    public struct Pair: Sendable, Equatable {
        public let prompt: [Double]
        public let chosen: Int
        public let rejected: Int

        public init(prompt: [Double], chosen: Int, rejected: Int) {
            self.prompt = prompt
            self.chosen = chosen
            self.rejected = rejected
        }
    }

    public let beta: Double
    public private(set) var unembedding: Matrix
    public let referenceUnembedding: Matrix
    public let trainPairs: [Pair]
    /// Tokens that appear as a chosen or rejected training response.
    public let trainTokens: Set<Int>
    /// Steps taken so far.
    public private(set) var stepsTaken = 0

    public init(beta: Double, unembedding: Matrix, referenceUnembedding: Matrix, trainPairs: [Pair]) {
        precondition(unembedding.rows == referenceUnembedding.rows && unembedding.columns == referenceUnembedding.columns,
                     "unembedding \(unembedding.rows) x \(unembedding.columns), reference \(referenceUnembedding.rows) x \(referenceUnembedding.columns)")
        precondition(!trainPairs.isEmpty, "single-token dynamics needs at least one training pair")
        self.beta = beta
        self.unembedding = unembedding
        self.referenceUnembedding = referenceUnembedding
        self.trainPairs = trainPairs
        trainTokens = Set(trainPairs.flatMap { [$0.chosen, $0.rejected] })
    }

    /// Builds the single-token view of an instance: every sequence must have one response token, and the
    /// two sides of every pair must share hidden[0] bit for bit (the same prompt context).
    public init(instance: Instance) throws {
        func convert(_ pairs: [PreferencePair], field: String) throws -> [Pair] {
            try pairs.enumerated().map { index, pair in
                let chosen = instance.sequences[pair.chosen]!
                let rejected = instance.sequences[pair.rejected]!
                guard chosen.length == 1 && rejected.length == 1 else {
                    throw InstanceValidationError(field: "\(field)[\(index)]",
                                                  problem: "single-token dynamics needs responses of one token")
                }
                guard chosen.hidden.row(0) == rejected.hidden.row(0) else {
                    throw InstanceValidationError(field: "\(field)[\(index)]",
                                                  problem: "chosen and rejected must share the prompt context hidden[0]")
                }
                return Pair(prompt: chosen.hidden.row(0), chosen: chosen.tokens[0], rejected: rejected.tokens[0])
            }
        }
        self.init(beta: instance.beta, unembedding: instance.unembedding,
                  referenceUnembedding: instance.referenceUnembedding,
                  trainPairs: try convert(instance.train, field: "train"))
    }

    /// Converts an evaluation set of an instance the same way as the training pairs.
    public static func pairs(of set: [PreferencePair], in instance: Instance) throws -> [Pair] {
        try set.enumerated().map { index, pair in
            let chosen = instance.sequences[pair.chosen]!
            let rejected = instance.sequences[pair.rejected]!
            guard chosen.length == 1, rejected.length == 1, chosen.hidden.row(0) == rejected.hidden.row(0) else {
                throw InstanceValidationError(
                    field: "eval pair \(index)", problem: "needs one-token responses sharing hidden[0]")
            }
            return Pair(prompt: chosen.hidden.row(0), chosen: chosen.tokens[0], rejected: rejected.tokens[0])
        }
    }

    /// m = beta [(W_a - W_b) h - (W^ref_a - W^ref_b) h] for every pair, in this cancelled form.
    public func margins(_ pairs: [Pair]) -> [Double] {
        pairs.map { pair in
            let current = BLAS.dot(unembedding.row(pair.chosen), pair.prompt)
                - BLAS.dot(unembedding.row(pair.rejected), pair.prompt)
            let reference = BLAS.dot(referenceUnembedding.row(pair.chosen), pair.prompt)
                - BLAS.dot(referenceUnembedding.row(pair.rejected), pair.prompt)
            return beta * (current - reference)
        }
    }

    /// s_i = sigma(-m_i) for the training pairs.
    public func pairWeights() -> [Double] {
        margins(trainPairs).map { StableMath.sigmoid(-$0) }
    }

    /// T(a, b; y+, y-) = 1[a = y+] - 1[a = y-] - 1[b = y+] + 1[b = y-].
    public static func tokenIdentity(_ evaluation: Pair, _ train: Pair) -> Double {
        func indicator(_ condition: Bool) -> Double { condition ? 1 : 0 }
        return indicator(evaluation.chosen == train.chosen) - indicator(evaluation.chosen == train.rejected)
            - indicator(evaluation.rejected == train.chosen) + indicator(evaluation.rejected == train.rejected)
    }

    /// The IM-RM margin kernel: entry (e, i) = T(e, train_i) <h_e, h_{x_i}>.
    public func marginKernel(_ pairs: [Pair]) -> Matrix {
        var kernel = Matrix(rows: pairs.count, columns: trainPairs.count)
        for (e, evaluation) in pairs.enumerated() {
            for (i, train) in trainPairs.enumerated() {
                let identity = Self.tokenIdentity(evaluation, train)
                if identity != 0 { kernel[e, i] = identity * BLAS.dot(evaluation.prompt, train.prompt) }
            }
        }
        return kernel
    }

    /// Delta m = (eta beta^2 / n) (T o K_prompt) s: the exact change one step makes to each margin.
    public func predictedMarginChange(_ pairs: [Pair], learningRate: Double) -> [Double] {
        let scale = learningRate * beta * beta / Double(trainPairs.count)
        return BLAS.product(marginKernel(pairs), pairWeights()).map { scale * $0 }
    }

    /// One full-batch gradient step: only the rows of training tokens move. Throws `DivergenceError` when
    /// a training margin (before the step) or a moved row (after it) is not finite.
    public mutating func step(learningRate: Double) throws(DivergenceError) {
        let margins = margins(trainPairs)
        try DivergenceError.check(margins, .reward, model: Self.label, step: stepsTaken, cause: likelyCause(learningRate))
        let weights = margins.map { StableMath.sigmoid(-$0) }
        let scale = learningRate * beta / Double(trainPairs.count)
        var rowUpdates: [Int: [Double]] = [:]
        let width = unembedding.columns
        for (pair, weight) in zip(trainPairs, weights) {
            BLAS.axpy(scale * weight, pair.prompt, &rowUpdates[pair.chosen, default: [Double](repeating: 0, count: width)])
            BLAS.axpy(-scale * weight, pair.prompt, &rowUpdates[pair.rejected, default: [Double](repeating: 0, count: width)])
        }
        stepsTaken += 1
        for (token, update) in rowUpdates {
            var row = unembedding.row(token)
            BLAS.axpy(1, update, &row)
            try DivergenceError.check(row, .parameter, model: Self.label, step: stepsTaken, cause: likelyCause(learningRate))
            unembedding.setRow(token, to: row)
        }
    }

    /// The name in a `DivergenceError`.
    public static let label = "im_rm (single token)"

    private func likelyCause(_ learningRate: Double) -> DivergenceError.Cause {
        var largest = 0.0
        for pair in trainPairs { largest = NaNPropagating.max(largest, BLAS.dot(pair.prompt, pair.prompt)) }
        return DivergenceError.likelyCause(learningRate: learningRate, largestSquaredNorm: largest)
    }
}
