import Foundation
import LinearAlgebra

/// Adam's hyperparameters (Kingma & Ba 2015), with the paper's defaults except the learning rate.
public struct AdamConfiguration: Codable, Equatable, Sendable {
    /// eta; 3e-3 because models this small train stably and quickly at it (1e-3 is the paper's default).
    public var learningRate: Double
    /// beta_1 = 0.9, Kingma & Ba's default decay of the first moment.
    public var firstMomentDecay: Double
    /// beta_2 = 0.999, Kingma & Ba's default decay of the second moment.
    public var secondMomentDecay: Double
    /// epsilon = 1e-8, Kingma & Ba's default; keeps the step finite where the second moment is 0.
    public var epsilon: Double

    public init(learningRate: Double = 3e-3, firstMomentDecay: Double = 0.9, secondMomentDecay: Double = 0.999,
                epsilon: Double = 1e-8)
    {
        self.learningRate = learningRate
        self.firstMomentDecay = firstMomentDecay
        self.secondMomentDecay = secondMomentDecay
        self.epsilon = epsilon
    }
}

/// Adam: m <- b1 m + (1 - b1) g, v <- b2 v + (1 - b2) g^2,
/// theta <- theta - eta (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + epsilon).
///
/// Properties: the first step moves every coordinate with g != 0 by eta sign(g) (up to epsilon); a
/// coordinate whose gradient has always been exactly 0 never moves (m = 0 exactly).
public struct Adam: Optimizer {
    public let configuration: AdamConfiguration
    private var firstMoments: [Matrix] = []
    private var secondMoments: [Matrix] = []
    /// t, the number of steps taken.
    public private(set) var stepCount = 0
    /// Multiplies eta in the next steps (a schedule sets it before each step); 1 by default.
    public var learningRateScale = 1.0

    public init(_ configuration: AdamConfiguration = AdamConfiguration()) {
        self.configuration = configuration
    }

    public mutating func step(_ parameters: inout ParameterSet, gradients: [Matrix]) {
        checkGradientShapes(parameters, gradients)
        if firstMoments.isEmpty {
            firstMoments = parameters.values.map { Matrix(rows: $0.rows, columns: $0.columns) }
            secondMoments = firstMoments
        }
        precondition(firstMoments.count == parameters.count,
                     "this Adam state was built for \(firstMoments.count) parameters, not \(parameters.count)")
        stepCount += 1
        let b1 = configuration.firstMomentDecay
        let b2 = configuration.secondMomentDecay
        let epsilon = configuration.epsilon
        let firstCorrection = 1 - pow(b1, Double(stepCount))
        let secondCorrection = 1 - pow(b2, Double(stepCount))
        let rate = configuration.learningRate * learningRateScale
        for index in gradients.indices where parameters.isTrainable[index] {
            parameters.updateValue(at: index) { value in
                value.elements.withUnsafeMutableBufferPointer { theta in
                    firstMoments[index].elements.withUnsafeMutableBufferPointer { m in
                        secondMoments[index].elements.withUnsafeMutableBufferPointer { v in
                            gradients[index].elements.withUnsafeBufferPointer { g in
                                for k in 0..<theta.count {
                                    m[k] = b1 * m[k] + (1 - b1) * g[k]
                                    v[k] = b2 * v[k] + (1 - b2) * g[k] * g[k]
                                    theta[k] -= rate * (m[k] / firstCorrection) / ((v[k] / secondCorrection).squareRoot() + epsilon)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
