import Autodiff
import LinearAlgebra
import TheorycheckCore

/// The optimizer of a reward-model run: Adam for the experiments, plain gradient descent for the
/// comparisons with the closed forms (which describe theta <- theta - eta grad L).
public enum RewardOptimizer: Codable, Equatable, Sendable {
    case adam(AdamConfiguration)
    case sgd(learningRate: Double)

    var learningRate: Double {
        switch self {
        case .adam(let configuration): return configuration.learningRate
        case .sgd(let learningRate): return learningRate
        }
    }

    func make() -> any Optimizer {
        switch self {
        case .adam(let configuration): return Adam(configuration)
        case .sgd(let learningRate): return SGD(learningRate: learningRate)
        }
    }
}

/// How to train a reward model on preference pairs. Codable so every run can print what it used.
public struct RewardTrainingConfiguration: Codable, Equatable, Sendable {
    public var optimizer: RewardOptimizer
    /// Pairs per step; nil takes every pair every step (full batch, the setting of the closed forms).
    public var batchSize: Int?
    /// Seeds the order in which pairs are visited (each epoch is a fresh seeded permutation).
    public var seed: UInt64

    public init(optimizer: RewardOptimizer, batchSize: Int? = nil, seed: UInt64 = 0) {
        self.optimizer = optimizer
        self.batchSize = batchSize
        self.seed = seed
    }

    public func validate() throws {
        let rate = optimizer.learningRate
        if !(rate > 0 && rate.isFinite) {
            throw ConfigurationError("the learning rate is \(rate); it must be a positive number")
        }
        if let batchSize, batchSize < 1 {
            throw ConfigurationError("the batch size is \(batchSize); use at least 1 pair per step, or full batch")
        }
    }
}

/// Trains a `TinyLMRewardModel` on a fixed list of preference pairs, one optimizer step at a time.
///
/// The pairs are encoded once: ln pi_ref of every training response is computed at construction (pi_ref
/// never changes), so a step costs one forward and one backward pass over its pairs. Minibatches walk a
/// seeded permutation of the pairs, a fresh one each epoch, so a run is reproducible bit for bit.
///
/// A step throws `DivergenceError` (named after the reward model's type) as soon as its loss or a
/// trainable parameter after the update is not finite.
public struct RewardModelTrainer {
    public private(set) var model: TinyLMRewardModel
    public let pairs: [TokenPreferencePair]
    public let configuration: RewardTrainingConfiguration
    /// Optimizer steps taken.
    public private(set) var stepCount = 0
    /// Multiplies the learning rate of the next steps (1: the configured rate): a schedule sets it before
    /// each step.
    public var learningRateScale = 1.0
    private let referenceChosen: [Double]?
    private let referenceRejected: [Double]?
    private var backboneOptimizer: any Optimizer
    private var headOptimizer: any Optimizer
    private var order: [Int] = []
    private var position = 0
    private var generator: SeededGenerator

    public init(model: TinyLMRewardModel, pairs: [TokenPreferencePair], configuration: RewardTrainingConfiguration) throws {
        try configuration.validate()
        if pairs.isEmpty { throw ConfigurationError("there are no training pairs") }
        _ = try model.batch(pairs.map(\.chosenSequence) + pairs.map(\.rejectedSequence))  // every pair fits
        self.model = model
        self.pairs = pairs
        self.configuration = configuration
        referenceChosen = try model.referenceLogProbabilities(pairs.map(\.chosenSequence))
        referenceRejected = try model.referenceLogProbabilities(pairs.map(\.rejectedSequence))
        backboneOptimizer = configuration.optimizer.make()
        headOptimizer = configuration.optimizer.make()
        generator = SeededGenerator(seed: configuration.seed)
    }

    /// The pairs of the next step: all of them (full batch), or the next slice of this epoch's permutation.
    public mutating func nextBatch() -> [Int] {
        guard let batchSize = configuration.batchSize, batchSize < pairs.count else { return Array(pairs.indices) }
        if position >= order.count {
            order = Array(pairs.indices).shuffled(using: &generator)
            position = 0
        }
        let batch = Array(order[position..<min(position + batchSize, order.count)])
        position += batch.count
        return batch
    }

    /// The loss over `indices` and its gradient with respect to every parameter (backbone in set order,
    /// then the head; zeros for frozen ones), at the current parameters.
    public func lossAndGradients(on indices: [Int]) throws -> (loss: Double, backbone: [Matrix], head: [Matrix]) {
        let tape = model.backbone.makeTape()
        let bound = model.bind(to: tape)
        let selected = indices.map { pairs[$0] }
        var reference: (chosen: [Double], rejected: [Double])?
        if let referenceChosen, let referenceRejected {
            reference = (indices.map { referenceChosen[$0] }, indices.map { referenceRejected[$0] })
        }
        let loss = try model.loss(selected, on: tape, parameters: bound, reference: reference)
        let gradients = tape.gradients(of: loss)
        return (tape.scalar(loss), bound.backbone.gradients(from: gradients), bound.head.gradients(from: gradients))
    }

    /// One optimizer step on the pairs `indices`; returns the loss before the update. Throws
    /// `DivergenceError` when that loss, or a parameter after the update, is not finite.
    @discardableResult
    public mutating func step(on indices: [Int]) throws -> Double {
        let (loss, backboneGradients, headGradients) = try lossAndGradients(on: indices)
        let label = model.type.rawValue
        let cause = DivergenceError.Cause.learningRateTooLarge(configuration.optimizer.learningRate)
        try DivergenceError.check(loss, .loss, model: label, step: stepCount, cause: cause)
        backboneOptimizer.learningRateScale = learningRateScale
        headOptimizer.learningRateScale = learningRateScale
        backboneOptimizer.step(&model.backbone.parameters, gradients: backboneGradients)
        if model.head.count > 0 { headOptimizer.step(&model.head, gradients: headGradients) }
        stepCount += 1
        try model.backbone.parameters.checkFinite(model: label, step: stepCount, cause: cause)
        try model.head.checkFinite(model: label, step: stepCount, cause: cause)
        return loss
    }

    /// One optimizer step on the next batch; returns the loss before the update.
    @discardableResult
    public mutating func step() throws -> Double {
        try step(on: nextBatch())
    }
}
