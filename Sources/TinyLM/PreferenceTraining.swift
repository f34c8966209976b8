import Autodiff
import Foundation
import LinearAlgebra

// A minimal Bradley-Terry trainer for the two reward models of the paper on a TinyLM backbone, written
// for the Hamiltonian-cycle experiment (issue 5) while a fuller, reusable reward-model trainer (EX-RM,
// mean-pooled EX-RM, IM-RM, IM-RM without reference, EX-GRM) was being built on another branch. It only
// composes existing primitives (forward passes, `responseLogProbabilities`, `lastHidden`,
// `RewardLoss.bradleyTerry`, Adam); when the two meet, this file is meant to be folded into that
// trainer, keeping the accuracy convention below. `TokenPreferencePair` has its own file under the same
// name and path as that branch's, with the same fields and initializer, so the two meet as one type.

/// The two reward models of Razin et al. (Sec. 2; THEORY.md section 1) on a language model.
public enum PreferenceObjective: String, Codable, Sendable, CaseIterable {
    /// IM-RM: r(x, y) = beta (ln pi(y | x) - ln pi_ref(y | x)); pi starts at pi_ref, so every reward
    /// starts at exactly 0.
    case implicitReward = "im_rm"
    /// EX-RM: r(x, y) = <u, h_{x,y}>, a linear head on the hidden state at the last position of the
    /// sequence; u starts at 0, so every reward starts at exactly 0.
    case explicitReward = "ex_rm"
}

/// How `PreferenceRewardModel.train` runs. Codable so a run can print what it used.
public struct PreferenceTrainingConfiguration: Codable, Equatable, Sendable {
    /// Adam steps.
    public var steps: Int
    /// Pairs per step, taken in order from a fresh seeded shuffle of the training pairs each epoch.
    public var batchSize: Int
    /// The IM-RM's beta (unused by the EX-RM).
    public var beta: Double
    /// true: every parameter of the language model trains with the reward (full fine-tuning, as the
    /// paper trains its reward models); false: Assumption 1, only the read-out trains (the unembedding
    /// for the IM-RM, the head u for the EX-RM).
    public var trainsBackbone: Bool
    /// Seeds the batch order.
    public var seed: UInt64
    public var adam: AdamConfiguration

    public init(steps: Int, batchSize: Int = 32, beta: Double = 0.1, trainsBackbone: Bool = true, seed: UInt64 = 0,
                adam: AdamConfiguration = AdamConfiguration(learningRate: 1e-3))
    {
        self.steps = steps
        self.batchSize = batchSize
        self.beta = beta
        self.trainsBackbone = trainsBackbone
        self.seed = seed
        self.adam = adam
    }

    public func validate() throws {
        if steps < 0 { throw TinyLMConfigurationError("steps is \(steps); it must be 0 or more") }
        if batchSize < 1 { throw TinyLMConfigurationError("batchSize is \(batchSize); it must be at least 1 pair") }
        if !(beta > 0 && beta.isFinite) { throw TinyLMConfigurationError("beta is \(beta); it must be a positive number such as 0.1") }
        if !(adam.learningRate > 0 && adam.learningRate.isFinite) {
            throw TinyLMConfigurationError("the Adam learning rate is \(adam.learningRate); it must be a positive number such as 1e-3")
        }
    }
}

/// How well a reward ranks preference pairs: accuracy = P[r+ > r-] + 1/2 P[r+ = r-] (ties count half,
/// the project's convention, so a reward that is 0 everywhere scores exactly 0.5), and the mean margin.
public struct PreferenceAccuracy: Sendable, Equatable, Codable {
    public let accuracy: Double
    public let meanMargin: Double
    public let pairCount: Int

    enum CodingKeys: String, CodingKey {
        case accuracy
        case meanMargin = "mean_margin"
        case pairCount = "pairs"
    }

    public init(chosenRewards: [Double], rejectedRewards: [Double]) {
        precondition(chosenRewards.count == rejectedRewards.count,
                     "\(chosenRewards.count) chosen rewards for \(rejectedRewards.count) rejected ones")
        var score = 0.0
        var marginTotal = 0.0
        for (chosen, rejected) in zip(chosenRewards, rejectedRewards) {
            if chosen > rejected { score += 1 } else if chosen == rejected { score += 0.5 }
            marginTotal += chosen - rejected
        }
        let count = Double(chosenRewards.count)
        accuracy = chosenRewards.isEmpty ? .nan : score / count
        meanMargin = chosenRewards.isEmpty ? .nan : marginTotal / count
        pairCount = chosenRewards.count
    }
}

/// A reward model built on a `TinyLM` and trained with the Bradley-Terry loss
/// L = (1/n) sum_i -ln sigma(r(x_i, y_i+) - r(x_i, y_i-)).
///
/// Mathematical properties (tested): before any step every reward is exactly 0 (IM-RM: pi = pi_ref;
/// EX-RM: u = 0), so the first loss is ln 2 and the accuracy 0.5; frozen parameters stay bit-identical;
/// training lowers the loss on separable toy pairs; the same seed gives the same model bit for bit.
public struct PreferenceRewardModel: Sendable {
    public static let headName = "head"

    public let objective: PreferenceObjective
    /// The IM-RM's policy pi, or the EX-RM's backbone.
    public private(set) var model: TinyLM
    /// pi_ref, a frozen copy of the initial model (IM-RM only).
    public let reference: TinyLM?
    /// The EX-RM's head u (d x 1) under the name `headName`; empty for the IM-RM.
    public private(set) var head: ParameterSet
    public let beta: Double

    /// An IM-RM whose policy starts at `reference`.
    public static func implicit(reference: TinyLM, beta: Double) -> PreferenceRewardModel {
        PreferenceRewardModel(objective: .implicitReward, model: reference, reference: reference, head: ParameterSet(),
                              beta: beta)
    }

    /// An EX-RM reading `backbone`'s last hidden state through a zero-initialized head.
    public static func explicit(backbone: TinyLM) -> PreferenceRewardModel {
        var head = ParameterSet()
        head.append(headName, Matrix(rows: backbone.configuration.width, columns: 1))  // d x 1, u = 0
        return PreferenceRewardModel(objective: .explicitReward, model: backbone, reference: nil, head: head, beta: 1)
    }

    private init(objective: PreferenceObjective, model: TinyLM, reference: TinyLM?, head: ParameterSet, beta: Double) {
        self.objective = objective
        self.model = model
        self.reference = reference
        self.head = head
        self.beta = beta
    }

    /// The rewards of each sequence's response (rows of `batch`), B x 1, on `tape`; the returned bound
    /// parameters are the model's and the head's, for gradients.
    ///
    /// `referenceLogProbabilities` (IM-RM only) may give ln pi_ref(y | x) of each row, computed once
    /// before training since pi_ref never changes; without it the reference runs on this batch.
    private func rewards(_ batch: TokenBatch, on tape: Tape, differentiable: Bool,
                         referenceLogProbabilities: [Double]? = nil) throws
        -> (rewards: Variable, model: BoundParameters, head: BoundParameters)
    {
        let pass = try model.forward(batch, on: tape, differentiable: differentiable)
        let boundHead = head.bind(to: tape, differentiable: differentiable)
        switch objective {
        case .implicitReward:
            let referenceValues: Variable
            if let referenceLogProbabilities {
                referenceValues = tape.constant(Matrix(rows: batch.count, columns: 1, elements: referenceLogProbabilities))
            } else {
                referenceValues = try reference!.forward(batch, on: tape, differentiable: false)
                    .responseLogProbabilities(on: tape)  // B x 1
            }
            let difference = tape.subtract(pass.responseLogProbabilities(on: tape), referenceValues)  // B x 1
            return (tape.scale(difference, by: beta), pass.parameters, boundHead)
        case .explicitReward:
            return (tape.matmul(pass.lastHidden(on: tape), boundHead[Self.headName]), pass.parameters, boundHead)  // B x 1
        }
    }

    /// The sequences of `pairs` as one batch: every chosen sequence, then every rejected one.
    private static func batch(_ pairs: [TokenPreferencePair]) throws -> TokenBatch {
        let sequences = pairs.map { $0.prompt + $0.chosen } + pairs.map { $0.prompt + $0.rejected }
        let starts = pairs.map(\.prompt.count) + pairs.map(\.prompt.count)
        return try TokenBatch(sequences, responseStarts: starts)
    }

    /// r(x, y+) and r(x, y-) of every pair, without gradients, `batchSize` pairs per forward pass.
    public func rewards(of pairs: [TokenPreferencePair], batchSize: Int = 64) throws
        -> (chosen: [Double], rejected: [Double])
    {
        precondition(batchSize > 0, "batchSize must be positive")
        var chosen: [Double] = []
        var rejected: [Double] = []
        for start in stride(from: 0, to: pairs.count, by: batchSize) {
            let chunk = Array(pairs[start..<min(start + batchSize, pairs.count)])
            let tape = Tape()
            let values = tape.value(try rewards(Self.batch(chunk), on: tape, differentiable: false).rewards).elements
            chosen += values[0..<chunk.count]
            rejected += values[chunk.count...]
        }
        return (chosen, rejected)
    }

    /// Accuracy and mean margin on `pairs`.
    public func accuracy(on pairs: [TokenPreferencePair]) throws -> PreferenceAccuracy {
        let (chosen, rejected) = try rewards(of: pairs)
        return PreferenceAccuracy(chosenRewards: chosen, rejectedRewards: rejected)
    }

    /// Trains on `pairs` for `configuration.steps` Adam steps and returns each step's batch loss (before
    /// that step's update). `progress(done, total)` is called after every step.
    @discardableResult
    public mutating func train(on pairs: [TokenPreferencePair], configuration: PreferenceTrainingConfiguration,
                               progress: (Int, Int) -> Void = { _, _ in }) throws -> [Double]
    {
        try configuration.validate()
        if pairs.isEmpty { throw TinyLMConfigurationError("there are no training pairs") }
        switch (objective, configuration.trainsBackbone) {
        case (_, true): model.parameters.unfreezeAll()
        case (.implicitReward, false): try model.parameters.freezeAll(except: [TinyLMParameterName.unembedding])
        case (.explicitReward, false): try model.parameters.freezeAll(except: [])
        }
        // ln pi_ref of every chosen and rejected response, once: the reference is frozen.
        var referenceChosen: [Double] = []
        var referenceRejected: [Double] = []
        if objective == .implicitReward, let reference {
            referenceChosen = try reference.responseLogProbabilities(prompts: pairs.map(\.prompt), responses: pairs.map(\.chosen))
            referenceRejected = try reference.responseLogProbabilities(prompts: pairs.map(\.prompt),
                                                                       responses: pairs.map(\.rejected))
        }
        var modelOptimizer = Adam(configuration.adam)
        var headOptimizer = Adam(configuration.adam)
        var generator = SeededGenerator(seed: configuration.seed)
        var order: [Int] = []
        var losses: [Double] = []
        losses.reserveCapacity(configuration.steps)
        for step in 0..<configuration.steps {
            var indices: [Int] = []
            while indices.count < min(configuration.batchSize, pairs.count) {
                if order.isEmpty { order = Array(pairs.indices).shuffled(using: &generator) }
                indices.append(order.removeLast())
            }
            let chunk = indices.map { pairs[$0] }
            let tape = Tape()
            let cached = objective == .implicitReward
                ? indices.map { referenceChosen[$0] } + indices.map { referenceRejected[$0] } : nil
            let (rewards, boundModel, boundHead) = try rewards(Self.batch(chunk), on: tape, differentiable: true,
                                                               referenceLogProbabilities: cached)
            let count = chunk.count
            let loss = RewardLoss.bradleyTerry(on: tape, chosen: tape.sliceRows(rewards, 0..<count),
                                               rejected: tape.sliceRows(rewards, count..<(2 * count)))  // 1 x 1
            losses.append(tape.scalar(loss))
            let gradients = tape.gradients(of: loss)
            modelOptimizer.step(&model.parameters, gradients: boundModel.gradients(from: gradients))
            if objective == .explicitReward {
                headOptimizer.step(&head, gradients: boundHead.gradients(from: gradients))
            }
            progress(step + 1, configuration.steps)
        }
        return losses
    }
}
