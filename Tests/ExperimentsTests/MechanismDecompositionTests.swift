import TheorycheckCore
import Autodiff
import Experiments
import LinearAlgebra
import RewardDynamics
import TestSupport
import TinyLM
import XCTest

/// The mechanism split of the tangent-kernel step (docs/theory.md §7) against independent computations:
/// the tangent kernel of whole reward gradients, the trainer's actual step, Eq. 5, and a kernel built
/// from materialized Jacobians.
final class MechanismDecompositionTests: XCTestCase {
    // V = 11: <bos> = 0; tokens 1-3 are prompt words, 4-8 training answer words, 9-10 never in training.
    private let pairs = [
        TokenPreferencePair(prompt: [0, 1], chosen: [4, 5], rejected: [6, 7]),
        TokenPreferencePair(prompt: [0, 2, 3], chosen: [5], rejected: [7]),
        TokenPreferencePair(prompt: [0, 3], chosen: [4, 8, 5], rejected: [6, 8, 7]),
    ]
    /// The training sequences, a pair mixing a training token with an unseen one, and a pair of unseen tokens.
    private var items: [PromptResponse] {
        pairs.flatMap { [$0.chosenSequence, $0.rejectedSequence] } + [
            PromptResponse(prompt: [0, 2], response: [8, 9]), PromptResponse(prompt: [0, 2], response: [8, 10]),
            PromptResponse(prompt: [0, 1], response: [9, 10]), PromptResponse(prompt: [0, 1], response: [10, 9]),
        ]
    }
    private var trainPairs: [IndexedPair] { (0..<pairs.count).map { IndexedPair(chosen: 2 * $0, rejected: 2 * $0 + 1) } }
    private let unseenPair = IndexedPair(chosen: 8, rejected: 9)

    private static let types: [RewardModelKind] = [.explicit, .explicitMeanPooled, .implicit, .implicitWithoutReference]

    private func backbone(width: Int = 8) throws -> TinyLM {
        try TinyLM(configuration: TinyLMConfiguration(vocabularySize: 11, width: width, layers: 1, heads: 2, contextLength: 8,
                                                      mlpWidth: 2 * width, initialScale: 0.4), seed: 2)
    }

    /// A trainer after 3 warm-up steps at eta = 0.3 (so that the EX-RM head is away from 0, where the
    /// backbone gets no gradient), then at `learningRate`.
    private func warmTrainer(_ type: RewardModelKind, readoutOnly: Bool = false, width: Int = 8,
                             learningRate: Double = 0.2) throws -> RewardModelTrainer
    {
        let model = try TinyLMRewardModel(backbone: backbone(width: width),
                                          configuration: RewardModelConfiguration(type: type, beta: 0.5, readoutOnly: readoutOnly))
        var warmUp = try RewardModelTrainer(model: model, pairs: pairs,
                                            configuration: RewardTrainingConfiguration(optimizer: .sgd(learningRate: 0.3)))
        for _ in 0..<3 { try warmUp.step() }
        return try RewardModelTrainer(model: warmUp.model, pairs: pairs,
                                      configuration: RewardTrainingConfiguration(optimizer: .sgd(learningRate: learningRate)))
    }

    private func unit(_ index: Int) -> [Double] {
        var weights = [Double](repeating: 0, count: items.count)
        weights[index] = 1
        return weights
    }

    /// max |a - b| / max |b|: rounding of sums of a few thousand unit-scale products, far below 1e-10
    /// relative to the largest change; a wrong sign or a missing term in any part is of order 1.
    private func scaledError(_ a: [Double], _ b: [Double]) -> Double {
        let scale = b.map(abs).max()!
        return zip(a, b).map { abs($0 - $1) }.max()! / scale
    }
    private let roundingTolerance = 1e-10

    func testPartsSumToTheTangentKernelPrediction() throws {
        for type in Self.types {
            var trainer = try warmTrainer(type)
            let before = trainer.model
            let rewards = try before.rewards(items)
            let decomposition = try MechanismDecomposition(model: before, items: items, trainPairs: trainPairs,
                                                           rewards: rewards, learningRate: 0.2)
            let parts = try items.indices.map { try decomposition.decompose(weights: unit($0)) }
            try trainer.step()
            let change = trainer.model.parameterChange(since: before)
            let ntk = try items.map { try before.rewardGradient(of: $0).dot(change) }
            XCTAssertLessThan(scaledError(parts.map(\.total), ntk), roundingTolerance, type.rawValue)
            XCTAssertEqual(Set(parts[0].parts), Set(MechanismPart.parts(of: type)), type.rawValue)
            // Every part is in use: each is far from 0 somewhere (the test would pass vacuously otherwise).
            let scale = ntk.map(abs).max()!
            for part in MechanismPart.parts(of: type) {
                XCTAssertGreaterThan(parts.map { abs($0[part]) }.max()!, 1e-4 * scale, "\(type.rawValue): \(part) is never used")
            }
            // A margin functional is the difference of its two rewards' breakdowns, part by part.
            let margin = try decomposition.decompose(
                weights: MechanismDecomposition.marginWeights(pairs: [trainPairs[2]], itemCount: items.count))
            for part in MechanismPart.parts(of: type) {
                XCTAssertEqual(margin[part], parts[4][part] - parts[5][part], accuracy: roundingTolerance * scale,
                               "\(type.rawValue): \(part)")
            }
        }
    }

    func testTrainingSideIsTheGradientStep() throws {
        for type in Self.types {
            var trainer = try warmTrainer(type)
            let before = trainer.model
            let decomposition = try MechanismDecomposition(model: before, items: items, trainPairs: trainPairs,
                                                           rewards: try before.rewards(items), learningRate: 0.2)
            let predicted = decomposition.predictedParameterChange()
            try trainer.step()
            let change = trainer.model.parameterChange(since: before)
            XCTAssertEqual(Set(predicted.keys), Set(change.names.filter { $0 != TinyLMParameterName.unembedding || type.isImplicit }),
                           type.rawValue)
            // Rounding relative to the step's largest entry (per parameter would not do: the EX-RM's final
            // layer-norm bias gets sum_s c_s u = 0, so both sides of it are rounding noise).
            let scale = change.values.flatMap(\.elements).map(abs).max()!
            for (name, value) in zip(change.names, change.values) {
                guard let prediction = predicted[name] else {
                    // The EX-RM's unembedding: its reward never reads W, so the step leaves it bit-identical.
                    XCTAssertTrue(value.elements.allSatisfy { $0 == 0 }, "\(type.rawValue): \(name) moved")
                    continue
                }
                XCTAssertLessThan(zip(prediction.elements, value.elements).map { abs($0 - $1) }.max()! / scale, 1e-12,
                                  "\(type.rawValue): \(name)")
            }
        }
    }

    func testUnseenTokensCarryNoTokenIdentity() throws {
        for type in [RewardModelKind.implicit, .implicitWithoutReference] {
            let trainer = try warmTrainer(type)
            let decomposition = try MechanismDecomposition(model: trainer.model, items: items, trainPairs: trainPairs,
                                                           rewards: try trainer.model.rewards(items), learningRate: 0.2)
            for weights in [unit(unseenPair.chosen), unit(unseenPair.rejected),
                            MechanismDecomposition.marginWeights(pairs: [unseenPair], itemCount: items.count)]
            {
                let parts = try decomposition.decompose(weights: weights)
                XCTAssertEqual(parts[.tokenIdentity], 0, type.rawValue)  // exactly: no class to sum over
                XCTAssertEqual(parts[.backboneSameToken], 0, type.rawValue)
                XCTAssertNotEqual(parts[.readoutCompetition], 0, type.rawValue)
                XCTAssertNotEqual(parts[.backboneCrossToken], 0, type.rawValue)
            }
            // The mixed sequence reads training token 8 first: its token identity is not 0.
            let mixed = try decomposition.decompose(weights: unit(6))
            XCTAssertNotEqual(mixed[.tokenIdentity], 0, type.rawValue)
            XCTAssertNotEqual(mixed[.backboneSameToken], 0, type.rawValue)
        }
    }

    /// Eq. 5 (`ImplicitFirstOrderPrediction`) on the model's current hidden states, per item.
    private func equationFive(_ model: TinyLMRewardModel, rewards: [Double], learningRate: Double) throws
        -> ImplicitFirstOrderPrediction
    {
        let layout = try AssumptionOnePrediction.layout(model: model, items: items, trainPairs: trainPairs)
        let unembedding = model.backbone.parameters[TinyLMParameterName.unembedding]
        let logits = BLAS.product(layout.contexts, unembedding, transposeB: true)
        let kernel = CrossGramMatrix(left: layout.contexts, right: layout.contexts.selectingRows(layout.trainContextRows))
        let coefficients = BradleyTerryGradient(rewards: rewards, pairs: layout.trainPairs).sequenceCoefficients
        return ImplicitFirstOrderPrediction(layout: layout, logits: logits, contextKernel: kernel,
                                            sequenceCoefficients: coefficients, learningRate: learningRate,
                                            beta: model.configuration.beta)
    }

    func testReadoutPartsAreEquationFiveAndAFrozenBackboneHasNoBackboneParts() throws {
        for type in [RewardModelKind.implicit, .implicitWithoutReference] {
            for readoutOnly in [true, false] {
                let trainer = try warmTrainer(type, readoutOnly: readoutOnly)
                let rewards = try trainer.model.rewards(items)
                let decomposition = try MechanismDecomposition(model: trainer.model, items: items, trainPairs: trainPairs,
                                                               rewards: rewards, learningRate: 0.2)
                let parts = try items.indices.map { try decomposition.decompose(weights: unit($0)) }
                let reference = try equationFive(trainer.model, rewards: rewards, learningRate: 0.2)
                let label = "\(type.rawValue), readoutOnly \(readoutOnly)"
                XCTAssertLessThan(scaledError(parts.map { $0[.tokenIdentity] }, reference.tokenIdentity), roundingTolerance, label)
                XCTAssertLessThan(scaledError(parts.map { $0[.readoutCompetition] }, reference.competition), roundingTolerance, label)
                if readoutOnly {
                    for part in MechanismPart.parts(of: type) where part.isBackbone {
                        XCTAssertEqual(parts.map { $0[part] }, Array(repeating: 0, count: items.count), "\(label): \(part)")
                    }
                }
            }
        }
        // EX-RM: the head part is the fixed-representation kernel step (exact), the backbone part 0 when frozen.
        for type in [RewardModelKind.explicit, .explicitMeanPooled] {
            let trainer = try warmTrainer(type, readoutOnly: true)
            let rewards = try trainer.model.rewards(items)
            let decomposition = try MechanismDecomposition(model: trainer.model, items: items, trainPairs: trainPairs,
                                                           rewards: rewards, learningRate: 0.2)
            let parts = try items.indices.map { try decomposition.decompose(weights: unit($0)) }
            let closedForm = try AssumptionOnePrediction.predict(model: trainer.model, items: items, trainPairs: trainPairs,
                                                                 rewards: rewards, learningRate: 0.2)
            XCTAssertLessThan(scaledError(parts.map { $0[.head] }, closedForm), roundingTolerance, type.rawValue)
            XCTAssertEqual(parts.map { $0[.backbone] }, Array(repeating: 0, count: items.count), type.rawValue)
        }
    }

    // MARK: - Against materialized Jacobians

    /// J_c (d x P_backbone) of every response context of `items`, one reverse sweep of the plain tape per
    /// hidden coordinate, with the backbone's parameters (all but the unembedding) flattened in set order.
    private func jacobians(_ model: TinyLM, items: [PromptResponse])
        throws -> [(item: Int, target: Int, hidden: [Double], law: [Double], jacobian: Matrix)]
    {
        let batch = try TokenBatch(items.map(\.tokens), responseStarts: items.map(\.prompt.count))
        let tape = Tape()
        let pass = try model.forward(batch, on: tape)
        let hidden = tape.value(pass.hidden)
        let laws = StableMath.rowSoftmax(tape.value(pass.logits))
        let backboneNames = model.parameters.names.filter { $0 != TinyLMParameterName.unembedding }
        var result: [(item: Int, target: Int, hidden: [Double], law: [Double], jacobian: Matrix)] = []
        for (index, item) in items.enumerated() {
            for position in item.prompt.count..<item.tokens.count {
                let row = batch.row(sequence: index, position: position - 1)
                var rows: [[Double]] = []
                for coordinate in 0..<model.configuration.width {
                    let gradients = tape.gradients(of: tape.gatherElements(pass.hidden, rows: [row], columns: [coordinate]))
                    rows.append(backboneNames.flatMap { gradients[pass.parameters[$0]].elements })
                }
                result.append((index, item.tokens[position], hidden.row(row), laws.row(row), Matrix(rowVectors: rows)))
            }
        }
        return result
    }

    func testBackbonePartsEqualTheMaterializedJacobianKernel() throws {
        for type in [RewardModelKind.implicit, .implicitWithoutReference] {
            let trainer = try warmTrainer(type, width: 4)
            let model = trainer.model
            let rewards = try model.rewards(items)
            let decomposition = try MechanismDecomposition(model: model, items: items, trainPairs: trainPairs,
                                                           rewards: rewards, learningRate: 0.2)
            let coefficients = BradleyTerryGradient(rewards: rewards, pairs: trainPairs).sequenceCoefficients
            let contexts = try jacobians(model.backbone, items: items)
            let trainContexts = contexts.filter { $0.item < 2 * pairs.count }
            let w = model.backbone.parameters[TinyLMParameterName.unembedding]  // V x d
            let scale = 0.2 * 0.25 / Double(pairs.count)  // eta beta^2 / n
            var expected: [[MechanismPart: Double]] = Array(repeating: [:], count: items.count)
            for k in contexts {
                for l in trainContexts {
                    let a = coefficients[l.item]
                    // G = W Jbar J^T W^T, V x V, from the materialized Jacobians.
                    let g = BLAS.product(BLAS.product(w, BLAS.product(k.jacobian, l.jacobian, transposeB: true)), w, transposeB: true)
                    let gp = BLAS.product(g, l.law)  // G p
                    let pg = BLAS.product(g, transposeA: true, k.law)  // G^T pbar
                    let competition = -pg[l.target] - gp[k.target] + BLAS.dot(k.law, gp)
                    let similarity = BLAS.dot(k.hidden, l.hidden)
                    let rho = ImplicitFirstOrderPrediction.rho(token: k.target, probabilities: k.law, token: l.target,
                                                               probabilities: l.law)
                    let identity: Double = k.target == l.target ? 1 : 0
                    var terms: [MechanismPart: Double] = [
                        .tokenIdentity: identity * similarity, .readoutCompetition: (rho - identity) * similarity,
                        .backboneCompetition: competition,
                    ]
                    terms[k.target == l.target ? .backboneSameToken : .backboneCrossToken] = g[k.target, l.target]
                    for (part, value) in terms { expected[k.item][part, default: 0] += scale * a * value }
                }
            }
            for part in MechanismPart.parts(of: type) {
                let vjp = try items.indices.map { try decomposition.decompose(weights: unit($0))[part] }
                let materialized = expected.map { $0[part] ?? 0 }
                XCTAssertLessThan(scaledError(vjp, materialized), roundingTolerance, "\(type.rawValue): \(part)")
            }
        }
    }
}
