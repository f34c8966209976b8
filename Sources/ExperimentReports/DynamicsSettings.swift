import Experiments
import Foundation
import Reports
import RewardDynamics
import Tasks

/// The settings of a `dynamics` run, printed with `--json` and listed in reports, so that every result
/// carries what produced it.
public struct DynamicsSettings: Encodable, Sendable {
    public let steps: Int
    public let explicitLearningRate: Double
    public let implicitLearningRate: Double
    public let beta: Double
    /// The built-in task's full configuration, or nil for a user's instance.
    public let task: TokenShiftTask?
    public let instancePath: String?

    public init(steps: Int, explicitLearningRate: Double, implicitLearningRate: Double, beta: Double,
                task: TokenShiftTask?, instancePath: String?)
    {
        self.steps = steps
        self.explicitLearningRate = explicitLearningRate
        self.implicitLearningRate = implicitLearningRate
        self.beta = beta
        self.task = task
        self.instancePath = instancePath
    }

    enum CodingKeys: String, CodingKey {
        case steps, beta, task
        case explicitLearningRate = "lr"
        case implicitLearningRate = "im_lr"
        case instancePath = "instance"
    }

    /// Bullet lines for a report.
    public var lines: [String] {
        var lines = [
            "steps: \(steps)", "EX-RM learning rate: \(explicitLearningRate)",
            "IM-RM learning rate: \(implicitLearningRate)", "beta: \(beta)",
        ]
        if let instancePath { lines.append("instance: \(instancePath)") }
        if let task {
            lines.append("""
                built-in task: seed \(task.seed), d = \(task.hiddenWidth), V = \(task.vocabularySize), \
                \(task.trainPrompts) train / \(task.testPrompts) test prompts, alignment \(task.alignment), \
                overlap \(task.overlap)
                """)
        }
        return lines
    }
}

/// `dynamics --json`: the result's fields with the settings beside them.
public struct DynamicsOutput: Encodable {
    let settings: DynamicsSettings
    let result: DynamicsResult

    enum CodingKeys: String, CodingKey {
        case settings
    }

    public func encode(to encoder: Encoder) throws {
        try result.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(settings, forKey: .settings)
    }
}
