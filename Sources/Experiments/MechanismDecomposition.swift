import TheorycheckCore
import LinearAlgebra
import RewardDynamics
import TinyLM

/// The first-order change of a reward over one full-batch gradient-descent step, every parameter
/// training, split by mechanism (docs/theory.md §7; `MechanismPart`).
///
/// A step on the Bradley-Terry loss moves the parameters by Delta theta = (eta / n) sum_s c_s grad r(s)
/// (c_s the sequence coefficients of `BradleyTerryGradient`), so any linear functional of the rewards,
/// F = sum_s w_s r(s) (one reward, or a set's mean margin), changes to first order by
/// <grad F, Delta theta>: the empirical-tangent-kernel prediction. For an IM-RM,
/// grad r(s) = beta sum_k grad ln p(y_k | c_k) and grad ln p(v | c) = grad z_v(c) - grad p^T z(c) with p
/// held fixed (z = W h the logits), so with
///
///     E_v  = sum over training contexts l with target v of  c_l grad z_v(c_l)         (one per token v)
///     P    = sum over training contexts l of                c_l grad p_l^T z(c_l)
///     Ebar_v, Ebar = sum_v Ebar_v, Pbar: the same over F's contexts with weights w
///
/// the prediction is (eta beta^2 / n) <Ebar - Pbar, E - P>, and its parts are
///
///     same token   (eta beta^2 / n) sum_v <Ebar_v, E_v>
///     cross token  (eta beta^2 / n) (<Ebar, E> - sum_v <Ebar_v, E_v>)
///     competition  (eta beta^2 / n) (-<Pbar, E> - <Ebar, P> + <Pbar, P>)
///
/// each inner product taken once over the unembedding W (the read-out: same token is Eq. 5's token
/// identity, cross token vanishes, competition is Eq. 5's competition) and once over every other
/// trainable parameter (the backbone). The backbone vectors are vector-Jacobian products of the hidden
/// states with cotangent rows W_v (a token's unembedding row) and W^T p (`HiddenStatePullback`), one
/// reverse sweep per token class and side; the read-out vectors are formed from the hidden states. For an
/// EX-RM, r = u . phi(s) with phi a weighted sum of hidden states (the last one, or the mean over the
/// response), and the prediction is (eta / n) [<phibar, T_u> + <grad_backbone F, T_backbone>] with
/// T = sum_s c_s grad r(s): the head part and the backbone part.
///
/// Mathematical properties (tested in `MechanismDecompositionTests`):
/// - the parts sum to <grad F, Delta theta>, the tangent-kernel prediction, to rounding;
/// - (eta / n) T (EX-RM) and (eta beta / n)(E - P) (IM-RM) equal the trainer's actual step;
/// - a functional none of whose tokens is a training target has token identity and same token exactly 0;
/// - with the backbone frozen the backbone parts are exactly 0 and the read-out parts equal Eq. 5
///   (`ImplicitFirstOrderPrediction`) on the current hidden states;
/// - the backbone parts equal those of the kernel built from materialized Jacobians.
public struct MechanismDecomposition {
    public let type: RewardModelKind
    public let learningRate: Double
    private let model: TinyLMRewardModel
    private let items: [PromptResponse]
    private let pairCount: Int
    /// Indices (in backbone set order) of the trainable parameters other than the unembedding.
    private let backboneIndices: [Int]
    private let training: Side

    /// The vectors one side (training or a functional) contributes.
    private enum Side {
        case implicit(ImplicitVectors)
        case explicit(ExplicitVectors)
    }

    /// An IM-RM side: per target token v (split ones) the backbone vector and the read-out row
    /// sum_k w_k h_k over contexts with target v; the sum over all targets; the law vectors.
    private struct ImplicitVectors {
        var classBackbone: [Int: [Matrix]] = [:]
        var classReadout: [Int: [Double]] = [:]
        var targetBackbone: [Matrix] = []
        /// sum_k w_k e_{y_k} h_k^T, V x d.
        var targetReadout: Matrix
        var lawBackbone: [Matrix] = []
        /// sum_k w_k p_k h_k^T, V x d.
        var lawReadout: Matrix
    }

    /// An EX-RM side: grad_backbone of sum_s w_s r(s), and sum_s w_s phi(s) (the head's gradient).
    private struct ExplicitVectors {
        var backbone: [Matrix]
        var head: [Double]
    }

    /// Builds the training side at `model`'s current parameters: `rewards` are its current rewards of
    /// `items`, `trainPairs` index into `items`, `learningRate` is the step's eta. Not for the EX-GRM.
    public init(model: TinyLMRewardModel, items: [PromptResponse], trainPairs: [IndexedPair], rewards: [Double],
                learningRate: Double) throws
    {
        precondition(model.type != .generativeVerifier, "the EX-GRM is not trained on the Bradley-Terry loss")
        precondition(rewards.count == items.count, "\(rewards.count) rewards for \(items.count) items")
        precondition(!trainPairs.isEmpty, "the decomposition needs training pairs")
        let readout = model.type.hasHead ? model.head : model.backbone.parameters
        let readoutName = model.type.hasHead ? TinyLMRewardModel.headName : TinyLMParameterName.unembedding
        precondition(readout.isTrainable[readout.index(of: readoutName)!], "the read-out \(readoutName) must train")
        self.type = model.type
        self.learningRate = learningRate
        self.model = model
        self.items = items
        pairCount = trainPairs.count
        let parameters = model.backbone.parameters
        backboneIndices = parameters.names.indices.filter {
            parameters.isTrainable[$0] && parameters.names[$0] != TinyLMParameterName.unembedding
        }
        let coefficients = BradleyTerryGradient(rewards: rewards, pairs: trainPairs).sequenceCoefficients
        var weights = [Double](repeating: 0, count: items.count)
        for pair in trainPairs {
            weights[pair.chosen] = coefficients[pair.chosen]
            weights[pair.rejected] = coefficients[pair.rejected]
        }
        training = try Self.side(model: model, items: items, weights: weights, splitting: nil,
                                 backboneIndices: backboneIndices)
    }

    /// The parts of the first-order change of F = sum_s weights[s] r(items[s]) over the step.
    public func decompose(weights: [Double]) throws -> MechanismBreakdown {
        precondition(weights.count == items.count, "\(weights.count) weights for \(items.count) items")
        switch training {
        case .implicit(let train):
            let classes = Set(train.classBackbone.keys)
            guard case .implicit(let eval) = try Self.side(model: model, items: items, weights: weights, splitting: classes,
                                                           backboneIndices: backboneIndices)
            else { preconditionFailure("an IM-RM side") }
            let beta = model.configuration.beta
            let scale = learningRate * beta * beta / Double(pairCount)
            var identity = 0.0
            var sameToken = 0.0
            for token in eval.classReadout.keys.sorted() {
                identity += BLAS.dot(eval.classReadout[token]!, train.classReadout[token]!)
                sameToken += Self.dot(eval.classBackbone[token]!, train.classBackbone[token]!)
            }
            let readoutCompetition = -Self.dot(eval.lawReadout, train.targetReadout)
                - Self.dot(eval.targetReadout, train.lawReadout) + Self.dot(eval.lawReadout, train.lawReadout)
            let crossToken = Self.dot(eval.targetBackbone, train.targetBackbone) - sameToken
            let backboneCompetition = -Self.dot(eval.lawBackbone, train.targetBackbone)
                - Self.dot(eval.targetBackbone, train.lawBackbone) + Self.dot(eval.lawBackbone, train.lawBackbone)
            return MechanismBreakdown([
                .tokenIdentity: scale * identity, .readoutCompetition: scale * readoutCompetition,
                .backboneSameToken: scale * sameToken, .backboneCrossToken: scale * crossToken,
                .backboneCompetition: scale * backboneCompetition,
            ])
        case .explicit(let train):
            guard case .explicit(let eval) = try Self.side(model: model, items: items, weights: weights, splitting: nil,
                                                           backboneIndices: backboneIndices)
            else { preconditionFailure("an EX-RM side") }
            let scale = learningRate / Double(pairCount)
            return MechanismBreakdown([.head: scale * BLAS.dot(eval.head, train.head),
                                       .backbone: scale * Self.dot(eval.backbone, train.backbone)])
        }
    }

    /// The parameter change the training side predicts, by name: (eta / n) T for an EX-RM, (eta beta / n)
    /// (E - P) for an IM-RM, over the read-out and every trainable backbone parameter. For gradient
    /// descent this is the step itself (tested against the trainer).
    public func predictedParameterChange() -> [String: Matrix] {
        let names = model.backbone.parameters.names
        var change: [String: Matrix] = [:]
        switch training {
        case .implicit(let train):
            let scale = learningRate * model.configuration.beta / Double(pairCount)
            change[TinyLMParameterName.unembedding] = scale * (train.targetReadout - train.lawReadout)
            for (position, index) in backboneIndices.enumerated() {
                change[names[index]] = scale * (train.targetBackbone[position] - train.lawBackbone[position])
            }
        case .explicit(let train):
            let scale = learningRate / Double(pairCount)
            change[TinyLMRewardModel.headName] = Matrix(rows: train.head.count, columns: 1,
                                                        elements: train.head.map { scale * $0 })
            for (position, index) in backboneIndices.enumerated() {
                change[names[index]] = scale * train.backbone[position]
            }
        }
        return change
    }

    /// The weights of a set's mean margin: +1/n on each pair's chosen sequence, -1/n on its rejected one.
    public static func marginWeights(pairs: [IndexedPair], itemCount: Int) -> [Double] {
        var weights = [Double](repeating: 0, count: itemCount)
        let share = 1 / Double(pairs.count)
        for pair in pairs {
            weights[pair.chosen] += share
            weights[pair.rejected] -= share
        }
        return weights
    }

    // MARK: - One side

    /// The vectors of F = sum_s weights[s] r(s), over the items with nonzero weight. IM-RM: with
    /// `splitting` nil every target token gets its own class (the training side); otherwise only the
    /// listed tokens do, and the other targets share one sweep.
    private static func side(model: TinyLMRewardModel, items: [PromptResponse], weights: [Double], splitting: Set<Int>?,
                             backboneIndices: [Int]) throws -> Side
    {
        let active = weights.indices.filter { weights[$0] != 0 }
        let width = model.backbone.configuration.width
        let vocabulary = model.backbone.configuration.vocabularySize
        let zeroBackbone = backboneIndices.map { index -> Matrix in
            let value = model.backbone.parameters.values[index]
            return Matrix(rows: value.rows, columns: value.columns)
        }
        if active.isEmpty {
            if model.type.hasHead {
                return .explicit(ExplicitVectors(backbone: zeroBackbone, head: [Double](repeating: 0, count: width)))
            }
            return .implicit(ImplicitVectors(targetBackbone: zeroBackbone, targetReadout: Matrix(rows: vocabulary, columns: width),
                                             lawBackbone: zeroBackbone, lawReadout: Matrix(rows: vocabulary, columns: width)))
        }
        let selected = active.map { items[$0] }
        let pass = try HiddenStatePullback(model: model.backbone, batch: model.batch(selected))
        let batch = pass.batch
        func backbone(_ cotangent: Matrix) -> [Matrix] {
            guard !backboneIndices.isEmpty else { return [] }
            let gradients = pass.pullback(cotangent)
            return backboneIndices.map { gradients[$0] }
        }

        if model.type.hasHead {
            let u = model.head[TinyLMRewardModel.headName].elements  // d
            var cotangent = Matrix(rows: pass.hidden.rows, columns: width)  // N x d
            var head = [Double](repeating: 0, count: width)
            for (position, itemIndex) in active.enumerated() {
                for (row, share) in readRows(model.type, batch: batch, sequence: position) {
                    let weight = weights[itemIndex] * share
                    for j in 0..<width {
                        cotangent[row, j] += weight * u[j]
                        head[j] += weight * pass.hidden[row, j]
                    }
                }
            }
            return .explicit(ExplicitVectors(backbone: backbone(cotangent), head: head))
        }

        // IM-RM: every response context k of the active items, its target token and weight.
        let unembedding = model.backbone.parameters[TinyLMParameterName.unembedding]  // V x d
        var contexts: [(row: Int, target: Int, weight: Double)] = []
        for (position, itemIndex) in active.enumerated() {
            let sequence = batch.sequences[position]
            for tokenPosition in batch.responseStarts[position]..<sequence.count {
                contexts.append((batch.row(sequence: position, position: tokenPosition - 1), sequence[tokenPosition],
                                 weights[itemIndex]))
            }
        }
        let rows = pass.hidden.rows
        var targetReadout = Matrix(rows: vocabulary, columns: width)  // V x d
        var lawCoefficients = Matrix(rows: rows, columns: vocabulary)  // N x V, row k: w_k p_k
        for context in contexts {
            let law = StableMath.softmax(pass.logits.row(context.row))
            for token in 0..<vocabulary { lawCoefficients[context.row, token] = context.weight * law[token] }
            for j in 0..<width { targetReadout[context.target, j] += context.weight * pass.hidden[context.row, j] }
        }
        let lawReadout = BLAS.product(lawCoefficients, transposeA: true, pass.hidden)  // V x d
        let lawBackbone = backbone(BLAS.product(lawCoefficients, unembedding))  // cotangent N x d: rows w_k p_k^T W

        // Target classes: one sweep per split token, one for the rest.
        let targets = Set(contexts.map(\.target))
        let split = splitting.map { targets.intersection($0) } ?? targets
        var vectors = ImplicitVectors(targetReadout: targetReadout, lawBackbone: lawBackbone, lawReadout: lawReadout)
        func targetCotangent(_ include: (Int) -> Bool) -> Matrix {
            var cotangent = Matrix(rows: rows, columns: width)  // N x d, rows w_k W_{y_k}
            for context in contexts where include(context.target) {
                for j in 0..<width { cotangent[context.row, j] += context.weight * unembedding[context.target, j] }
            }
            return cotangent
        }
        var total = zeroBackbone
        for token in split.sorted() {
            let classBackbone = backbone(targetCotangent { $0 == token })
            vectors.classBackbone[token] = classBackbone
            vectors.classReadout[token] = targetReadout.row(token)
            total = add(total, classBackbone)
        }
        if !targets.subtracting(split).isEmpty {
            total = add(total, backbone(targetCotangent { !split.contains($0) }))
        }
        vectors.targetBackbone = total
        return .implicit(vectors)
    }

    /// The hidden-state rows an EX-RM reads for sequence `sequence` of `batch`, with their weights:
    /// the last position (weight 1), or every response position (weight 1/L).
    private static func readRows(_ type: RewardModelKind, batch: TokenBatch, sequence: Int) -> [(row: Int, weight: Double)] {
        let length = batch.sequences[sequence].count
        if type == .explicitMeanPooled {
            let start = batch.responseStarts[sequence]
            let weight = 1 / Double(length - start)
            return (start..<length).map { (batch.row(sequence: sequence, position: $0), weight) }
        }
        return [(batch.row(sequence: sequence, position: length - 1), 1)]
    }

    private static func add(_ a: [Matrix], _ b: [Matrix]) -> [Matrix] {
        guard !b.isEmpty else { return a }
        return zip(a, b).map { $0 + $1 }
    }

    /// sum over matrices of <A, B>_F (0 for empty lists: no trainable backbone).
    static func dot(_ a: [Matrix], _ b: [Matrix]) -> Double {
        precondition(a.count == b.count, "inner product of \(a.count) and \(b.count) matrices")
        var total = 0.0
        for index in a.indices { total += BLAS.dot(a[index].elements, b[index].elements) }
        return total
    }

    static func dot(_ a: Matrix, _ b: Matrix) -> Double {
        BLAS.dot(a.elements, b.elements)
    }
}
