import LinearAlgebra

/// Plain gradient descent, theta <- theta - eta g: the update the closed-form dynamics of docs/theory.md
/// section 2 describe (full batch, learning rate eta).
public struct SGD: Optimizer, Codable, Equatable, Sendable {
    public var learningRate: Double
    /// Multiplies eta in the next steps (a schedule sets it before each step); 1 by default.
    public var learningRateScale = 1.0

    private enum CodingKeys: String, CodingKey {
        case learningRate  // the scale is run state, not configuration
    }

    public init(learningRate: Double) {
        self.learningRate = learningRate
    }

    public mutating func step(_ parameters: inout ParameterSet, gradients: [Matrix]) {
        checkGradientShapes(parameters, gradients)
        for index in gradients.indices where parameters.isTrainable[index] {
            let rate = learningRate * learningRateScale
            parameters.updateValue(at: index) { value in
                value.elements.withUnsafeMutableBufferPointer { theta in
                    gradients[index].elements.withUnsafeBufferPointer { g in
                        for k in 0..<theta.count { theta[k] -= rate * g[k] }
                    }
                }
            }
        }
    }
}
