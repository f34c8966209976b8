import Autodiff
import LinearAlgebra

/// A vector in the space of a reward model's trainable parameters, kept as named matrices (backbone
/// parameters in set order, then the head): a per-example reward gradient grad_theta r(x, y), or a
/// parameter change theta' - theta.
///
/// The empirical neural tangent kernel of docs/theory.md §2 is the inner product of two of these:
/// K(a, b) = <grad r(a), grad r(b)>, and to first order a step changes a reward by <grad r, Delta theta>.
public struct ParameterVector: Sendable, Equatable {
    public let names: [String]
    public let values: [Matrix]

    public init(names: [String], values: [Matrix]) {
        precondition(names.count == values.count, "\(names.count) names for \(values.count) matrices")
        self.names = names
        self.values = values
    }

    /// sum over the shared matrices of <A, B>_F; both vectors must list the same names.
    public func dot(_ other: ParameterVector) -> Double {
        dot(other, where: { _ in true })
    }

    /// The inner product restricted to the matrices whose name passes `include` (e.g. the read-out only).
    public func dot(_ other: ParameterVector, where include: (String) -> Bool) -> Double {
        precondition(names == other.names, "inner product of parameter vectors over different parameters")
        var total = 0.0
        for index in values.indices where include(names[index]) {
            total += BLAS.dot(values[index].elements, other.values[index].elements)
        }
        return total
    }
}

extension TinyLMRewardModel {
    /// The names of the trainable parameters, in the order of `ParameterVector`s of this model.
    public var trainableNames: [String] {
        let backboneNames = backbone.parameters.names.indices.filter { backbone.parameters.isTrainable[$0] }
            .map { backbone.parameters.names[$0] }
        let headNames = head.names.indices.filter { head.isTrainable[$0] }.map { head.names[$0] }
        return backboneNames + headNames
    }

    /// The names of the Assumption-1 read-out: the head u for the EX-RMs, the unembedding W otherwise.
    public var readoutNames: Set<String> {
        type.hasHead ? [Self.headName] : [TinyLMParameterName.unembedding]
    }

    private func trainableValues(_ backboneValues: [Matrix], _ headValues: [Matrix]) -> [Matrix] {
        backboneValues.indices.filter { backbone.parameters.isTrainable[$0] }.map { backboneValues[$0] }
            + headValues.indices.filter { head.isTrainable[$0] }.map { headValues[$0] }
    }

    /// grad_theta r(item) over every trainable parameter, by one reverse sweep on a one-item batch.
    /// (The reference term of `.implicit` is a constant and does not enter.)
    public func rewardGradient(of item: PromptResponse) throws -> ParameterVector {
        let tape = backbone.makeTape()
        let bound = bind(to: tape)
        let reward = try rewards([item], on: tape, parameters: bound, referenceLogProbabilities: [0])  // 1 x 1
        let gradients = tape.gradients(of: reward)
        return ParameterVector(names: trainableNames,
                               values: trainableValues(bound.backbone.gradients(from: gradients),
                                                       bound.head.gradients(from: gradients)))
    }

    /// theta(self) - theta(earlier) over the trainable parameters: the change a training step made.
    public func parameterChange(since earlier: TinyLMRewardModel) -> ParameterVector {
        let backboneChange = zip(backbone.parameters.values, earlier.backbone.parameters.values).map { $0 - $1 }
        let headChange = zip(head.values, earlier.head.values).map { $0 - $1 }
        return ParameterVector(names: trainableNames, values: trainableValues(backboneChange, headChange))
    }
}
