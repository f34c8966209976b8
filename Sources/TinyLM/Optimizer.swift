import LinearAlgebra

/// A rule that moves the trainable matrices of a `ParameterSet` given d loss / d parameter.
///
/// Frozen matrices are never touched, so they stay bit-identical however long one trains.
public protocol Optimizer {
    /// One update; `gradients` are in the set's order (as `BoundParameters.gradients(from:)` returns them).
    mutating func step(_ parameters: inout ParameterSet, gradients: [Matrix])
    /// A multiplier on the learning rate of the next steps (1: the configured rate), the hook of a
    /// learning-rate schedule (`LearningRateSchedule`).
    var learningRateScale: Double { get set }
}

func checkGradientShapes(_ parameters: ParameterSet, _ gradients: [Matrix]) {
    precondition(gradients.count == parameters.count,
                 "\(gradients.count) gradients for \(parameters.count) parameters")
    for index in gradients.indices {
        let value = parameters.values[index]
        precondition(gradients[index].rows == value.rows && gradients[index].columns == value.columns,
                     "gradient of \(parameters.names[index]) is \(gradients[index].rows) x \(gradients[index].columns), parameter is \(value.rows) x \(value.columns)")
    }
}
